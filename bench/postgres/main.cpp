// pg_ingest_bench: meterhub's ingest into PostgreSQL against two baselines measured in the same run, on the same
// table (samples_raw, migration 9) and the same rows: samples in time order over 1,000 series (bench/README.md,
// "PostgreSQL ingest"). bench/pg_ingest starts the server and runs this; by hand:
//
//   pg_ingest_bench --url=postgresql://postgres@127.0.0.1:PORT/DB [--series=1000] [--samples-per-series=1000]
//                   [--writers=16] [--batch=72] [--rounds=3] [--copy-batch=N] [--insert-seconds=3]
//                   [--big-batch=20000] [--no-breakdown] [--label=TEXT] [--json=PATH]
//
// The database must be empty: the bench migrates it and creates its tenant and series. Each round measures
//   (a) meterhub: tsdb::SharedEngine, `writers` threads each writing `batch` samples and waiting for the ack;
//   (b) the ceiling: one libpq connection doing binary COPY of the same rows, in batches of --copy-batch rows
//       (default: (a)'s measured samples per group commit in the same round, so both commit equally often);
// and once at the end (c) one INSERT per sample with a commit each, for --insert-seconds. Every part starts from
// an empty, checkpointed table. The figures are the medians over the rounds; (a)/(b) is the median of each
// round's ratio, since a round's two parts ran a few seconds apart. Then, unless --no-breakdown, where the
// ceiling's time goes: the bare COPY with --big-batch rows a COPY, and with (b)'s batches into a table of
// samples_raw's shape without its (series_id, ts) index.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../tsdb/report.hpp"
#include "../tsdb/support.hpp"
#include "libpq_baselines.hpp"
#include "meterhub_ingest.hpp"
#include "setup.hpp"

namespace mh::bench {
namespace {

struct PgOptions {
    std::string url;
    std::size_t series = 1000;
    std::size_t samples_per_series = 1000;
    int writers = 16;
    std::size_t batch = 72;
    int rounds = 3;
    std::size_t copy_batch = 0;  // 0: (a)'s samples per group commit
    double insert_seconds = 3;
    bool breakdown = true;           // where the time goes: big batches, and the table without its index
    std::size_t big_batch = 20'000;  // rows per COPY for the big-batch figure
    std::string label;
    std::string json_path = "pg_ingest_bench.json";
};

void PrintUsage() {
    std::puts(
        "usage: pg_ingest_bench --url=POSTGRES_URL [--series=N] [--samples-per-series=N] [--writers=N]\n"
        "                       [--batch=N] [--rounds=N] [--copy-batch=N] [--insert-seconds=S] [--label=TEXT]\n"
        "                       [--big-batch=N] [--no-breakdown] [--json=PATH]\n"
        "  the database must be empty; bench/pg_ingest starts a server and runs this (bench/README.md)");
}

PgOptions ParseOptions(int argc, char** argv) {
    PgOptions o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value_of = [&](std::string_view name) -> std::optional<std::string> {
            if (arg.size() > name.size() && arg.starts_with(name) && arg[name.size()] == '=') {
                return std::string(arg.substr(name.size() + 1));
            }
            return std::nullopt;
        };
        std::optional<std::string> v;
        if (arg == "--help" || arg == "-h") {
            PrintUsage();
            std::exit(0);
        } else if ((v = value_of("--url"))) {
            o.url = *v;
        } else if ((v = value_of("--series"))) {
            o.series = std::stoul(*v);
        } else if ((v = value_of("--samples-per-series"))) {
            o.samples_per_series = std::stoul(*v);
        } else if ((v = value_of("--writers"))) {
            o.writers = std::stoi(*v);
        } else if ((v = value_of("--batch"))) {
            o.batch = std::stoul(*v);
        } else if ((v = value_of("--rounds"))) {
            o.rounds = std::stoi(*v);
        } else if ((v = value_of("--copy-batch"))) {
            o.copy_batch = std::stoul(*v);
        } else if ((v = value_of("--insert-seconds"))) {
            o.insert_seconds = std::stod(*v);
        } else if ((v = value_of("--big-batch"))) {
            o.big_batch = std::stoul(*v);
        } else if (arg == "--no-breakdown") {
            o.breakdown = false;
        } else if ((v = value_of("--label"))) {
            o.label = *v;
        } else if ((v = value_of("--json"))) {
            o.json_path = *v;
        } else {
            PrintUsage();
            throw Failure(fmt::format("unknown option {}", arg));
        }
    }
    if (o.url.empty()) throw Failure("--url is required");
    if (o.series == 0 || o.samples_per_series == 0 || o.writers < 1 || o.batch == 0 || o.rounds < 1 ||
        !(o.insert_seconds > 0)) {
        throw Failure(
            "--series, --samples-per-series, --writers, --batch, --rounds and --insert-seconds must be "
            "positive");
    }
    return o;
}

double Median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void PrintRun(const char* what, const IngestRun& run) {
    fmt::print(
        "  {:<56} {:>9.0f} samples/s  ({} in {:.2f} s, {} commits, {:.0f} a commit; client CPU {:.1f} "
        "ms/1k samples)\n",
        what, run.samples_per_s(), run.samples, run.seconds, run.commits, run.samples_per_commit(),
        1e6 * run.cpu_seconds / static_cast<double>(run.samples));
    std::fflush(stdout);
}

int Main(int argc, char** argv) {
    const PgOptions o = ParseOptions(argc, argv);
    spdlog::set_level(spdlog::level::warn);
    Setup setup(o.url, o.series, o.samples_per_series);
    const std::string settings = setup.ServerSettings();
    fmt::print(
        "== pg_ingest_bench {}\nserver: {}\n{} series x {} samples = {} rows, time order; {} writers x {} "
        "samples a batch; {} rounds\n",
        o.label, settings, o.series, o.samples_per_series, setup.rows().size(), o.writers, o.batch, o.rounds);

    std::vector<double> meterhub, ceiling, ratio, per_commit, copy_batches, meterhub_cpu, copy_cpu;
    for (int r = 1; r <= o.rounds; ++r) {
        fmt::print("round {}\n", r);
        setup.Reset();
        const IngestRun a = MeterhubIngest(setup, o.writers, o.batch);
        PrintRun("(a) meterhub SharedEngine, acknowledged", a);
        const std::size_t copy_batch =
            o.copy_batch > 0 ? o.copy_batch
                             : static_cast<std::size_t>(std::max<double>(1.0, std::round(a.samples_per_commit())));
        setup.Reset();
        const IngestRun b = CopyCeiling(setup, copy_batch);
        PrintRun(fmt::format("(b) bare libpq binary COPY, {} rows each", copy_batch).c_str(), b);
        meterhub.push_back(a.samples_per_s());
        ceiling.push_back(b.samples_per_s());
        ratio.push_back(a.samples_per_s() / b.samples_per_s());
        per_commit.push_back(a.samples_per_commit());
        copy_batches.push_back(static_cast<double>(copy_batch));
        meterhub_cpu.push_back(1e6 * a.cpu_seconds / static_cast<double>(a.samples));
        copy_cpu.push_back(1e6 * b.cpu_seconds / static_cast<double>(b.samples));
    }
    setup.Reset();
    const IngestRun c = InsertPerSample(setup, o.insert_seconds);
    PrintRun("(c) one INSERT per sample, a commit each", c);
    setup.Reset();
    std::optional<IngestRun> big, unindexed;
    if (o.breakdown) {
        fmt::print("where the time goes (bare COPY)\n");
        big = CopyCeiling(setup, o.big_batch);
        PrintRun(fmt::format("(b) with {} rows a COPY", o.big_batch).c_str(), *big);
        setup.Reset();
        setup.MakeUnindexed();
        const auto batch = static_cast<std::size_t>(Median(copy_batches));
        unindexed = CopyCeiling(setup, batch, Setup::kUnindexed);
        PrintRun(fmt::format("(b) {} rows a COPY, samples_raw without its index", batch).c_str(), *unindexed);
        setup.DropUnindexed();
    }

    Report report;
    fmt::print("\n");
    report.AddTarget("pg.ingest.meterhub.samples_per_s", "(a) meterhub, acknowledged (median of rounds)",
                     Median(meterhub), "samples/s", 200'000, true);
    report.Add("pg.ingest.meterhub.samples_per_commit", "(a) samples per group commit (median)", Median(per_commit),
               "samples");
    report.Add("pg.ingest.copy.samples_per_s", "(b) bare binary COPY, same batch size (median of rounds)",
               Median(ceiling), "samples/s");
    report.Add("pg.ingest.copy.batch_rows", "(b) rows per COPY (median)", Median(copy_batches), "rows");
    report.Add("pg.ingest.insert.samples_per_s", "(c) one INSERT per sample, a commit each", c.samples_per_s(),
               "samples/s");
    report.Add("pg.ingest.meterhub.client_cpu_ms_per_1k", "(a) meterhub's own CPU per 1,000 samples (median)",
               Median(meterhub_cpu), "ms");
    report.Add("pg.ingest.copy.client_cpu_ms_per_1k", "(b) the bare program's CPU per 1,000 samples (median)",
               Median(copy_cpu), "ms");
    if (big) {
        report.Add("pg.ingest.copy_big.samples_per_s", fmt::format("bare COPY, {} rows a COPY", o.big_batch),
                   big->samples_per_s(), "samples/s");
    }
    if (unindexed) {
        report.Add("pg.ingest.copy_unindexed.samples_per_s",
                   "bare COPY, (b)'s batches, the same table without its (series_id, ts) index",
                   unindexed->samples_per_s(), "samples/s");
    }
    report.AddTarget("pg.ingest.meterhub_vs_copy_pct", "(a) / (b) (median of the rounds' ratios)",
                     100.0 * Median(ratio), "%", 50, true);
    report.AddRatio("pg.ingest.meterhub_vs_insert", "(a) / (c): meterhub against one INSERT per sample",
                    Median(meterhub) / c.samples_per_s());
    fmt::print("\n");
    report.PrintTable();
    report.WriteJson(o.json_path, {{"label", o.label},
                                   {"server", settings},
                                   {"series", std::to_string(o.series)},
                                   {"samples_per_series", std::to_string(o.samples_per_series)},
                                   {"writers", std::to_string(o.writers)},
                                   {"batch", std::to_string(o.batch)},
                                   {"rounds", std::to_string(o.rounds)}});
    return 0;
}

}  // namespace
}  // namespace mh::bench

int main(int argc, char** argv) {
    try {
        return mh::bench::Main(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pg_ingest_bench: %s\n", e.what());
        return 1;
    }
}
