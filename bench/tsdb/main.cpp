// tsdb_bench: the time-series engine's figures next to baselines measured in the same run (bench/README.md).
//
// One process, one run, plain std::chrono timing: ingest (time order, durable, concurrent producers),
// checkpoint cost, bytes per sample on disk, range queries and log recovery, each next to the bare SQLite
// table a user would otherwise write to. Prints a table and writes the same figures as JSON.
//
//   tsdb_bench [--quick] [--scale=F] [--only=sqlite,1k,100k,small,recovery,query] [--json=PATH] [--tmp=DIR]
//              [--producers=N] [--batch=N] [--in-flight=N] [--query-reps=N]
//
// MH_BENCH_SCALE=F in the environment is the same as --scale=F. Scratch data goes to a fresh directory under
//
// This file holds option parsing, the ratios against the baselines and Main, which runs the parts in order; the
// parts live beside it in bench/tsdb/ (sqlite_baseline, ingest, recovery, query) on support, report, data and
// fixture. main() also serves the --internal-recover child mode the recovery part starts.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include "core/time.hpp"
#include "data.hpp"
#include "ingest.hpp"
#include "query.hpp"
#include "recovery.hpp"
#include "report.hpp"
#include "sqlite_baseline.hpp"
#include "support.hpp"

namespace mh::bench {
namespace {

constexpr const char* kParts[] = {"sqlite", "1k", "100k", "small", "recovery", "query"};

void PrintUsage() {
    std::puts(
        "usage: tsdb_bench [--quick] [--scale=F] [--only=sqlite,1k,100k,small,recovery,query] [--json=PATH]\n"
        "                  [--tmp=DIR] [--producers=N] [--batch=N] [--in-flight=N] [--query-reps=N]\n"
        "  --quick      smoke run: 2% of the samples, 50 query repetitions (about a minute)\n"
        "  --scale=F    multiply every sample/row count by F (MH_BENCH_SCALE=F does the same)\n"
        "  --only=...   run some parts only (default: all)");
}

Options ParseOptions(int argc, char** argv) {
    Options o;
    if (const char* env = std::getenv("MH_BENCH_SCALE"); env != nullptr && *env != '\0') o.scale = std::stod(env);
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        std::optional<std::string> v;
        auto value_of = [&](std::string_view name) -> std::optional<std::string> {
            if (!arg.starts_with(name) || arg.size() <= name.size() || arg[name.size()] != '=') return std::nullopt;
            return std::string(arg.substr(name.size() + 1));
        };
        if (arg == "--help" || arg == "-h") {
            PrintUsage();
            std::exit(0);
        } else if (arg == "--quick") {
            o.quick = true;
            o.scale = 0.02;
            o.query_reps = 50;
        } else if ((v = value_of("--scale"))) {
            o.scale = std::stod(*v);
        } else if ((v = value_of("--json"))) {
            o.json_path = *v;
        } else if ((v = value_of("--tmp"))) {
            o.tmp = *v;
        } else if ((v = value_of("--producers"))) {
            o.producers = std::max(1, std::stoi(*v));
        } else if ((v = value_of("--batch"))) {
            o.batch = static_cast<std::size_t>(std::max(1, std::stoi(*v)));
        } else if ((v = value_of("--in-flight"))) {
            o.in_flight = std::clamp(std::stoi(*v), 1, 1024);
        } else if ((v = value_of("--query-reps"))) {
            o.query_reps = std::max(1, std::stoi(*v));
        } else if ((v = value_of("--only"))) {
            std::stringstream list(*v);
            for (std::string part; std::getline(list, part, ',');) {
                if (std::find(std::begin(kParts), std::end(kParts), part) == std::end(kParts)) {
                    throw Failure("unknown part '" + part + "' (sqlite, 1k, 100k, small, recovery, query)");
                }
                o.only.insert(part);
            }
        } else {
            PrintUsage();
            throw Failure("unknown argument '" + std::string(arg) + "'");
        }
    }
    if (!(o.scale > 0)) throw Failure("--scale must be positive");
    return o;
}

void AddRatios(Context& ctx) {
    Report& r = ctx.report;
    auto ratio = [&](const std::string& id, const std::string& label, const std::string& num, const std::string& den) {
        const auto a = r.Get(num);
        const auto b = r.Get(den);
        if (a && b && *b != 0) r.AddRatio(id, label, *a / *b);
    };
    fmt::print("\n[ratios]\n");
    ratio("ingest.1k_vs_sqlite_time", "ingest 1k series / SQLite bare table, time order (higher is better)",
          "ingest.1k.samples_per_s", "sqlite.time_order.rows_per_s");
    ratio("ingest.100k_vs_sqlite_time", "ingest 100k series / SQLite bare table, time order (higher is better)",
          "ingest.100k.samples_per_s", "sqlite.time_order.rows_per_s");
    ratio("ingest.1k_vs_sqlite_series", "ingest 1k series / SQLite bare table, series order (higher is better)",
          "ingest.1k.samples_per_s", "sqlite.series_order.rows_per_s");
    ratio("ingest.100k_vs_sqlite_series", "ingest 100k series / SQLite bare table, series order (higher is better)",
          "ingest.100k.samples_per_s", "sqlite.series_order.rows_per_s");
    ratio("bytes.realistic_vs_sqlite",
          "realistic file bytes/sample / SQLite bare table bytes/row, series order (lower is better)",
          "bytes.realistic.file_bytes_per_sample", "sqlite.series_order.bytes_per_row");
    ratio("bytes.realistic_chunks_vs_sqlite",
          "realistic chunk bytes/sample / SQLite bytes/row, series order (lower is better)",
          "bytes.realistic.chunk_bytes_per_sample", "sqlite.series_order.bytes_per_row");
    ratio("bytes.random_vs_sqlite",
          "random file bytes/sample / SQLite bare table bytes/row, series order (lower is better)",
          "bytes.random.file_bytes_per_sample", "sqlite.series_order.bytes_per_row");
    ratio("query.year_vs_engine_raw", "year query p99: engine ReadRaw of the year / QueryRange (speed-up)",
          "query.engine_raw_year.p99_ms", "query.year.p99_ms");
    ratio("query.year_vs_sqlite_scan", "year query p99: bare SQLite scan of the year / QueryRange (speed-up)",
          "query.sqlite_raw_year.p99_ms", "query.year.p99_ms");
    ratio("query.year_vs_sqlite_grouped", "year query p99: bare SQLite GROUP BY / QueryRange (speed-up)",
          "query.sqlite_grouped_year.p99_ms", "query.year.p99_ms");
}

std::string CpuModel() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.starts_with("model name")) {
            const auto colon = line.find(':');
            return colon == std::string::npos ? line : line.substr(colon + 2);
        }
    }
    return "unknown";
}

std::string UtcNow() {
    return FormatUtc(std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()));
}

int Main(int argc, char** argv) {
    if (argc == 3 && std::string_view(argv[1]).starts_with("--internal-recover=") &&
        std::string_view(argv[2]).starts_with("--internal-now=")) {
        RecoverChild(std::string_view(argv[1]).substr(19), std::stoll(std::string(argv[2] + 15)));
    }
    Context ctx{ParseOptions(argc, argv), {}};
    const Options& o = ctx.options;
    spdlog::set_level(spdlog::level::warn);
    std::map<std::string, std::string> context{
        {"date", UtcNow()},
        {"cpu", CpuModel()},
        {"cores", std::to_string(std::thread::hardware_concurrency())},
        {"sqlite", sqlite3_libversion()},
        {"scale", fmt::format("{}", o.scale)},
        {"producers", std::to_string(o.producers)},
        {"batch", std::to_string(o.batch)},
        {"in_flight", std::to_string(o.in_flight)},
        {"query_reps", std::to_string(o.query_reps)},
        {"tmp", o.tmp.string()},
    };
    fmt::print("tsdb_bench {}: scale {}, {} cores, {}, SQLite {}, scratch in {}\n", context["date"], o.scale,
               context["cores"], context["cpu"], context["sqlite"], o.tmp.string());
    const auto start = SteadyClock::now();
    TempDir root(o.tmp, "run");
    if (o.Runs("sqlite")) RunSqliteBaselines(ctx, root.path());
    if (o.Runs("1k")) {
        RunIngestPart(ctx, root.path(), {"1k", "1k series", 1000, 50, o.Scaled(10'000, 2), PowerCurve}, true);
    }
    if (o.Runs("100k")) {
        RunIngestPart(ctx, root.path(), {"100k", "100k series", 100'000, 50, o.Scaled(100, 2), PowerCurve}, false);
    }
    if (o.Runs("small")) RunSmallBatchPart(ctx, root.path());
    if (o.Runs("recovery")) RunRecoveryPart(ctx, root.path());
    if (o.Runs("query")) RunQueryPart(ctx, root.path());
    AddRatios(ctx);
    const double total = Seconds(SteadyClock::now() - start);
    context["total_seconds"] = fmt::format("{:.1f}", total);
    ctx.report.PrintTable();
    fmt::print("total run time {:.1f} s\n", total);
    ctx.report.WriteJson(o.json_path, context);
    return 0;
}

}  // namespace
}  // namespace mh::bench

int main(int argc, char** argv) {
    try {
        return mh::bench::Main(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tsdb_bench: %s\n", e.what());
        return 1;
    }
}
