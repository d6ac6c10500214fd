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
// --tmp (default: the system temp dir) that is deleted on exit.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <numbers>
#include <optional>
#include <random>
#include <semaphore>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "domain/access.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "tsdb/engine.hpp"
#include "tsdb/query.hpp"

namespace mh::bench {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kYearMs = 365 * kDayMs;
constexpr std::int64_t kT0 = 1'735'689'600'000;  // 2025-01-01T00:00:00Z: where every generated series starts

double Seconds(SteadyClock::duration d) {
    return std::chrono::duration<double>(d).count();
}
double Ms(SteadyClock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

// ---- Failures: a benchmark that cannot do what it measures stops loudly ----

class Failure : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

template <class T>
T Must(Result<T> result, std::string_view what) {
    if (!result) throw Failure(fmt::format("{}: {}", what, result.error().message));
    return std::move(*result);
}

void Must(const Status& status, std::string_view what) {
    if (!status) throw Failure(fmt::format("{}: {}", what, status.error().message));
}

// ---- Options ----

struct Options {
    double scale = 1.0;  // multiplies every sample and row count (not the series counts)
    bool quick = false;
    std::string json_path = "tsdb_bench.json";
    fs::path tmp = fs::temp_directory_path();
    std::set<std::string> only;  // empty: everything
    int producers = 4;
    std::size_t batch = 5000;
    int in_flight = 4;  // batches per producer waiting for their ack
    int query_reps = 200;

    bool Runs(const std::string& part) const { return only.empty() || only.contains(part); }
    std::int64_t Scaled(std::int64_t n, std::int64_t at_least = 1) const {
        return std::max(at_least, static_cast<std::int64_t>(std::llround(static_cast<double>(n) * scale)));
    }
};

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

// ---- Figures: what the run measured, printed and written as JSON ----

struct Figure {
    std::string id;     // stable machine name, e.g. "ingest.1k.samples_per_s"
    std::string label;  // what the table says
    double value = 0;
    std::string unit;
    std::string target;  // e.g. ">= 1000000", empty when there is none
    std::optional<bool> met;
};

struct Ratio {
    std::string id;
    std::string label;
    double value = 0;
};

class Report {
  public:
    void Add(std::string id, std::string label, double value, std::string unit) {
        figures_.push_back(Figure{std::move(id), std::move(label), value, std::move(unit), {}, {}});
        Echo(figures_.back());
    }
    // A figure with a target from the issue; `higher_is_better` says which way `limit` bounds it.
    void AddTarget(std::string id, std::string label, double value, std::string unit, double limit,
                   bool higher_is_better) {
        Figure f{std::move(id), std::move(label), value, std::move(unit), {}, {}};
        f.target = fmt::format("{} {}", higher_is_better ? ">=" : "<=", Number(limit));
        f.met = higher_is_better ? value >= limit : value <= limit;
        figures_.push_back(std::move(f));
        Echo(figures_.back());
    }
    void AddRatio(std::string id, std::string label, double value) {
        ratios_.push_back(Ratio{std::move(id), std::move(label), value});
        fmt::print("  -> {:<92} {:>8.2f}x\n", ratios_.back().label, value);
        std::fflush(stdout);
    }
    std::optional<double> Get(std::string_view id) const {
        for (const auto& f : figures_) {
            if (f.id == id) return f.value;
        }
        return std::nullopt;
    }

    void PrintTable() const {
        const std::string rule(136, '-');
        fmt::print("\n{}\n{:<84} {:>12} {:<10} {:<14} {}\n{}\n", rule, "figure", "value", "unit", "target", "met",
                   rule);
        for (const auto& f : figures_) {
            fmt::print("{:<84} {:>12} {:<10} {:<14} {}\n", f.label, Number(f.value), f.unit, f.target,
                       f.met ? (*f.met ? "yes" : "NO") : "");
        }
        if (!ratios_.empty()) {
            fmt::print("{}\n{:<96} {:>12}\n{}\n", rule, "ratio against the same-run baseline", "value", rule);
            for (const auto& r : ratios_) fmt::print("{:<96} {:>11.2f}x\n", r.label, r.value);
        }
        fmt::print("{}\n", rule);
    }

    void WriteJson(const std::string& path, const std::map<std::string, std::string>& context) const {
        std::ostringstream out;
        out << "{\n  \"context\": {";
        bool first = true;
        for (const auto& [key, value] : context) {
            out << (first ? "\n" : ",\n") << "    " << Quote(key) << ": " << Quote(value);
            first = false;
        }
        out << "\n  },\n  \"figures\": [";
        first = true;
        for (const auto& f : figures_) {
            out << (first ? "\n" : ",\n") << "    {\"id\": " << Quote(f.id) << ", \"label\": " << Quote(f.label)
                << ", \"value\": " << JsonNumber(f.value) << ", \"unit\": " << Quote(f.unit);
            if (!f.target.empty())
                out << ", \"target\": " << Quote(f.target) << ", \"met\": " << (*f.met ? "true" : "false");
            out << "}";
            first = false;
        }
        out << "\n  ],\n  \"ratios\": [";
        first = true;
        for (const auto& r : ratios_) {
            out << (first ? "\n" : ",\n") << "    {\"id\": " << Quote(r.id) << ", \"label\": " << Quote(r.label)
                << ", \"value\": " << JsonNumber(r.value) << "}";
            first = false;
        }
        out << "\n  ]\n}\n";
        const fs::path file(path);
        if (file.has_parent_path()) fs::create_directories(file.parent_path());
        std::ofstream(file) << out.str();
        fmt::print("JSON written to {}\n", path);
    }

    static std::string Number(double v) {
        if (v != 0 && std::fabs(v) < 10) return fmt::format("{:.3g}", v);
        if (std::fabs(v) < 1000 && v != std::round(v)) return fmt::format("{:.1f}", v);
        // Whole numbers and big ones without decimals, with thousands separators: 1,234,567. separators for the big
        // ones: 1,234,567.
        std::string digits = fmt::format("{:.0f}", std::fabs(v));
        std::string out;
        for (std::size_t i = 0; i < digits.size(); ++i) {
            if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
            out += digits[i];
        }
        return v < 0 ? "-" + out : out;
    }

  private:
    static void Echo(const Figure& f) {
        fmt::print("  {:<84} {:>14} {}\n", f.label, Number(f.value), f.unit);
        std::fflush(stdout);
    }
    static std::string Quote(std::string_view s) {
        std::string out = "\"";
        for (char c : s) {
            if (c == '"' || c == '\\') {
                out += '\\';
                out += c;
            } else if (static_cast<unsigned char>(c) < 0x20) {
                out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
            } else {
                out += c;
            }
        }
        return out + "\"";
    }
    static std::string JsonNumber(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "null"; }

    std::vector<Figure> figures_;
    std::vector<Ratio> ratios_;
};

// ---- Generated data ----

std::uint64_t Mix(std::uint64_t x) {  // splitmix64's finaliser
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

double Unit(std::uint64_t h) {
    return static_cast<double>(h >> 11) * 0x1.0p-53;
}  // [0, 1)

using ValueFn = double (*)(std::size_t series_index, std::int64_t ts_ms);

// A PV inverter's AC power as a meter reports it: a daylight bell (06:00-20:00 UTC), a per-series peak of
// 2.5-5 kW, a seasonal factor and +-2 % noise, rounded to 0.1 W; exactly 0 at night. 0..5000 W.
double PowerCurve(std::size_t series_index, std::int64_t ts_ms) {
    const std::int64_t in_day = ((ts_ms % kDayMs) + kDayMs) % kDayMs;
    const double hour = static_cast<double>(in_day) / static_cast<double>(kHourMs);
    if (hour <= 6.0 || hour >= 20.0) return 0.0;
    const double bell = std::pow(std::sin(std::numbers::pi * (hour - 6.0) / 14.0), 2.0);
    const double day_of_year = static_cast<double>(((ts_ms - kT0) / kDayMs) % 365);
    const double season = 0.65 + 0.35 * std::cos(2.0 * std::numbers::pi * (day_of_year - 172.0) / 365.0);
    const double peak = 2500.0 + 2500.0 * Unit(Mix(series_index * 7919 + 1));
    const double noise =
        1.0 +
        0.02 *
            (2.0 * Unit(Mix(static_cast<std::uint64_t>(series_index) ^ static_cast<std::uint64_t>(ts_ms) * 31)) - 1.0);
    const double watts = std::clamp(peak * season * bell * noise, 0.0, 5000.0);
    return std::round(watts * 10.0) / 10.0;
}

// Full-precision uniform doubles in [0, 5000): the worst case for the value codec.
double RandomValue(std::size_t series_index, std::int64_t ts_ms) {
    return 5000.0 * Unit(Mix(Mix(series_index + 1) ^ static_cast<std::uint64_t>(ts_ms)));
}

// ---- Scratch directories and a store with one tenant's series ----

class TempDir {
  public:
    TempDir(const fs::path& root, const std::string& name) {
        static std::atomic<int> counter{0};
        path_ = root / fmt::format("meterhub-bench-{}-{}-{}", ::getpid(), counter++, name);
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

class Fixture {
  public:
    Fixture(const fs::path& root, const std::string& name, std::int64_t now_ms)
        : dir_(root, name), clock_(FromMillis(now_ms)), ids_(clock_, 1) {
        store_ = Must(store::sqlite::SqliteStore::Open(db_path(), clock_, ids_, {}), "open store");
        tenant_ = Must(store_->CreateTenant({"bench", "Europe/Berlin", 730}), "create tenant");
    }

    // `count` power series, `per_device` to a device (an inverter with its channels). Returns the seconds.
    double AddSeries(std::size_t count, std::size_t per_device) {
        const auto start = SteadyClock::now();
        store::Device device;
        for (std::size_t i = 0; i < count; ++i) {
            if (i % per_device == 0) {
                const std::size_t d = i / per_device;
                device = Must(store_->CreateDevice(scope(), {fmt::format("inverter {}", d), "generic",
                                                             fmt::format("SN{:08d}", d), "bench", ""}),
                              "create device");
            }
            auto series = Must(store_->EnsureSeries(scope(), {device.id, fmt::format("power.{}", i % per_device), "W",
                                                              store::SeriesKind::kGauge}),
                               "create series");
            series_.push_back(series.id);
        }
        return Seconds(SteadyClock::now() - start);
    }

    std::unique_ptr<tsdb::Engine> OpenEngine(tsdb::EngineOptions options) {
        options.log_dir = log_dir();
        return Must(tsdb::Engine::Open(*store_, clock_, std::move(options)), "open engine");
    }

    TenantScope scope() const { return domain::Access::ForOperator(tenant_.id); }
    const std::vector<SeriesId>& series() const { return series_; }
    store::sqlite::SqliteStore& store() { return *store_; }
    std::string db_path() const { return (dir_.path() / "meterhub.db").string(); }
    fs::path log_dir() const { return dir_.path() / "meterhub.db-log"; }
    const fs::path& dir() const { return dir_.path(); }

  private:
    TempDir dir_;  // first: deleted last
    FakeClock clock_;
    IdGenerator ids_;
    std::unique_ptr<store::sqlite::SqliteStore> store_;
    store::Tenant tenant_;
    std::vector<SeriesId> series_;
};

// ---- Raw SQLite, for the baselines and the file sizes ----

class Db {
  public:
    explicit Db(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
            const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw Failure("sqlite3_open " + path + ": " + message);
        }
        sqlite3_busy_timeout(db_, 10'000);
    }
    ~Db() { sqlite3_close_v2(db_); }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    void Exec(const std::string& sql) {
        char* error = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            const std::string message = error != nullptr ? error : sqlite3_errmsg(db_);
            sqlite3_free(error);
            throw Failure("sqlite: " + sql + ": " + message);
        }
    }
    // Every row of a query, each column as a double (enough for pragmas and sums).
    std::vector<std::vector<double>> Rows(const std::string& sql) {
        Stmt stmt(*this, sql);
        std::vector<std::vector<double>> rows;
        while (stmt.Step()) {
            std::vector<double> row;
            for (int c = 0; c < sqlite3_column_count(stmt.get()); ++c) row.push_back(stmt.Double(c));
            rows.push_back(std::move(row));
        }
        return rows;
    }
    double One(const std::string& sql) {
        auto rows = Rows(sql);
        if (rows.empty() || rows.front().empty()) throw Failure("sqlite: no row from " + sql);
        return rows.front().front();
    }
    sqlite3* get() const { return db_; }

    class Stmt {
      public:
        Stmt(Db& db, const std::string& sql) : db_(db) {
            if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
                throw Failure("sqlite prepare: " + sql + ": " + sqlite3_errmsg(db.get()));
            }
        }
        ~Stmt() { sqlite3_finalize(stmt_); }
        Stmt(const Stmt&) = delete;
        Stmt& operator=(const Stmt&) = delete;
        bool Step() {
            const int rc = sqlite3_step(stmt_);
            if (rc == SQLITE_ROW) return true;
            if (rc == SQLITE_DONE) return false;
            throw Failure(std::string("sqlite step: ") + sqlite3_errmsg(db_.get()));
        }
        void Reset() { sqlite3_reset(stmt_); }
        void Bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
        void Bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
        std::int64_t Int(int c) const { return sqlite3_column_int64(stmt_, c); }
        double Double(int c) const { return sqlite3_column_double(stmt_, c); }
        sqlite3_stmt* get() const { return stmt_; }

      private:
        Db& db_;
        sqlite3_stmt* stmt_ = nullptr;
    };

  private:
    sqlite3* db_ = nullptr;
};

// What a database file takes after its WAL is folded in: total, free pages, and bytes per table (dbstat).
struct DiskUse {
    double file_bytes = 0;
    double free_bytes = 0;
    std::map<std::string, double> by_table;  // bytes of pages, overflow pages included
    std::map<std::string, double> payload;   // bytes of row content in them
    std::optional<double> rollup_rows;       // for the engine's databases
};

DiskUse MeasureDisk(const std::string& path) {
    Db db(path);
    auto checkpoint = db.Rows("PRAGMA wal_checkpoint(TRUNCATE)");
    if (!checkpoint.empty() && checkpoint.front().front() != 0) {
        fmt::print("  (warning: wal_checkpoint(TRUNCATE) was blocked by a reader; the WAL is not counted)\n");
    }
    DiskUse use;
    const double page_size = db.One("PRAGMA page_size");
    use.file_bytes = db.One("PRAGMA page_count") * page_size;
    use.free_bytes = db.One("PRAGMA freelist_count") * page_size;
    try {
        Db::Stmt stmt(db, "SELECT name, SUM(pgsize), SUM(payload) FROM dbstat GROUP BY name");
        while (stmt.Step()) {
            const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
            use.by_table[name] = stmt.Double(1);
            use.payload[name] = stmt.Double(2);
        }
    } catch (const Failure&) {
        // SQLite built without dbstat: only the totals then.
    }
    if (db.One("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'rollups'") > 0) {
        use.rollup_rows = db.One("SELECT COUNT(*) FROM rollups");
    }
    return use;
}

// ---- Percentiles ----

struct Percentiles {
    double p50 = 0;
    double p99 = 0;
    double max = 0;
};

Percentiles Summarise(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    auto rank = [&](double p) {  // nearest rank
        const auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
        return v[std::clamp<std::size_t>(i, 1, v.size()) - 1];
    };
    return Percentiles{rank(0.50), rank(0.99), v.back()};
}

// ---- Ingest through the engine ----

// Each producer owns a slice of the series (its devices) and walks time in order: every series of its
// slice at t, then t + interval, ... cut into batches. Generated before the clock starts.
using Batches = std::vector<std::vector<tsdb::SeriesSample>>;

struct Workload {
    std::vector<Batches> producers;
    std::int64_t samples = 0;
};

Workload TimeOrdered(const std::vector<SeriesId>& series, std::int64_t first_ts, std::int64_t steps,
                     std::int64_t interval_ms, ValueFn value, int producers, std::size_t batch_size) {
    Workload work;
    work.producers.resize(static_cast<std::size_t>(producers));
    for (int p = 0; p < producers; ++p) {
        const std::size_t lo = series.size() * static_cast<std::size_t>(p) / static_cast<std::size_t>(producers);
        const std::size_t hi = series.size() * static_cast<std::size_t>(p + 1) / static_cast<std::size_t>(producers);
        Batches& batches = work.producers[static_cast<std::size_t>(p)];
        std::vector<tsdb::SeriesSample> batch;
        batch.reserve(batch_size);
        for (std::int64_t step = 0; step < steps; ++step) {
            const std::int64_t ts = first_ts + step * interval_ms;
            for (std::size_t i = lo; i < hi; ++i) {
                batch.push_back({series[i], ts, value(i, ts)});
                if (batch.size() == batch_size) {
                    batches.push_back(std::move(batch));
                    batch = {};
                    batch.reserve(batch_size);
                }
            }
        }
        if (!batch.empty()) batches.push_back(std::move(batch));
        work.samples += static_cast<std::int64_t>((hi - lo)) * steps;
    }
    return work;
}

struct IngestOutcome {
    std::int64_t samples = 0;
    double seconds = 0;
    double rate() const { return static_cast<double>(samples) / seconds; }
};

// Submits every producer's batches with WriteAsync from its own thread, at most `in_flight` unacknowledged
// at a time each, and times until the last acknowledgement.
IngestOutcome RunIngest(tsdb::Engine& engine, const TenantScope& scope, Workload work, int in_flight) {
    std::atomic<std::int64_t> acked{0};
    std::mutex error_mutex;
    std::string error;
    std::vector<std::thread> threads;
    const auto start = SteadyClock::now();
    for (std::size_t p = 0; p < work.producers.size(); ++p) {
        threads.emplace_back([&, p] {
            // Shared with the callbacks: the last release() may still run on the writer thread after this
            // thread has taken its permits back.
            auto permits = std::make_shared<std::counting_semaphore<1024>>(in_flight);
            for (auto& batch : work.producers[p]) {
                permits->acquire();
                const auto n = static_cast<std::int64_t>(batch.size());
                engine.WriteAsync(scope, std::move(batch), [permits, n, &acked, &error_mutex, &error](Status status) {
                    if (status) {
                        acked.fetch_add(n, std::memory_order_relaxed);
                    } else {
                        std::lock_guard lock(error_mutex);
                        if (error.empty()) error = status.error().message;
                    }
                    permits->release();
                });
            }
            for (int i = 0; i < in_flight; ++i) permits->acquire();  // every ack is in
        });
    }
    for (auto& thread : threads) thread.join();
    const double seconds = Seconds(SteadyClock::now() - start);
    if (!error.empty()) throw Failure("ingest: a batch was refused: " + error);
    if (acked.load() != work.samples) {
        throw Failure(fmt::format("ingest: {} samples acknowledged of {}", acked.load(), work.samples));
    }
    return IngestOutcome{work.samples, seconds};
}

// ---- The parts ----

struct Context {
    Options options;
    Report report;
};

// (b) A bare C loop of prepared INSERTs, WAL + synchronous=NORMAL, 1,000 rows a transaction.
struct SqliteInsert {
    double rows_per_s = 0;
    double bytes_per_row = 0;
};

SqliteInsert BareSqliteInsert(const fs::path& dir, int series, std::int64_t rows, bool time_order) {
    const std::int64_t steps = std::max<std::int64_t>(1, rows / series);
    rows = steps * series;
    std::vector<double> values(static_cast<std::size_t>(rows));  // [series][step], generated before timing
    for (int s = 0; s < series; ++s) {
        for (std::int64_t t = 0; t < steps; ++t) {
            values[static_cast<std::size_t>(s * steps + t)] =
                PowerCurve(static_cast<std::size_t>(s), kT0 + t * kMinuteMs);
        }
    }
    const std::string path = (dir / (time_order ? "bare-time.db" : "bare-series.db")).string();
    SqliteInsert result;
    {
        Db db(path);
        db.Exec("PRAGMA journal_mode = WAL");
        db.Exec("PRAGMA synchronous = NORMAL");
        db.Exec("CREATE TABLE s(series INTEGER, ts INTEGER, value REAL, PRIMARY KEY(series, ts)) WITHOUT ROWID");
        Db::Stmt insert(db, "INSERT INTO s(series, ts, value) VALUES (?, ?, ?)");
        int in_transaction = 0;
        auto add = [&](int s, std::int64_t t) {
            insert.Bind(1, std::int64_t{s + 1});
            insert.Bind(2, kT0 + t * kMinuteMs);
            insert.Bind(3, values[static_cast<std::size_t>(s * steps + t)]);
            insert.Step();
            insert.Reset();
            if (++in_transaction == 1000) {
                db.Exec("COMMIT");
                db.Exec("BEGIN");
                in_transaction = 0;
            }
        };
        const auto start = SteadyClock::now();
        db.Exec("BEGIN");
        if (time_order) {
            for (std::int64_t t = 0; t < steps; ++t) {
                for (int s = 0; s < series; ++s) add(s, t);
            }
        } else {
            for (int s = 0; s < series; ++s) {
                for (std::int64_t t = 0; t < steps; ++t) add(s, t);
            }
        }
        db.Exec("COMMIT");
        result.rows_per_s = static_cast<double>(rows) / Seconds(SteadyClock::now() - start);
    }
    result.bytes_per_row = MeasureDisk(path).file_bytes / static_cast<double>(rows);
    fs::remove(path);
    return result;
}

void RunSqliteBaselines(Context& ctx, const fs::path& root) {
    fmt::print("\n[sqlite] bare table, WAL + synchronous=NORMAL, 1,000 rows per transaction, 1,000 series\n");
    TempDir dir(root, "sqlite");
    const std::int64_t time_rows = ctx.options.Scaled(1'000'000, 10'000);
    const std::int64_t series_rows = ctx.options.Scaled(5'000'000, 10'000);
    auto series_order = BareSqliteInsert(dir.path(), 1000, series_rows, false);
    ctx.report.Add("sqlite.series_order.rows_per_s",
                   fmt::format("SQLite bare table, series order, {} rows: insert rate",
                               Report::Number(static_cast<double>(series_rows))),
                   series_order.rows_per_s, "rows/s");
    ctx.report.Add("sqlite.series_order.bytes_per_row", "SQLite bare table, series order: file bytes per row",
                   series_order.bytes_per_row, "B/row");
    auto time_order = BareSqliteInsert(dir.path(), 1000, time_rows, true);
    ctx.report.Add("sqlite.time_order.rows_per_s",
                   fmt::format("SQLite bare table, time order, {} rows: insert rate",
                               Report::Number(static_cast<double>(time_rows))),
                   time_order.rows_per_s, "rows/s");
    ctx.report.Add("sqlite.time_order.bytes_per_row", "SQLite bare table, time order: file bytes per row",
                   time_order.bytes_per_row, "B/row");
}

void ReportDisk(Context& ctx, Fixture& fx, const std::string& key, const std::string& what, std::int64_t samples) {
    const auto stats = Must(fx.store().ChunkStats(), "chunk stats");
    if (stats.samples != samples) {
        throw Failure(fmt::format("{}: chunks hold {} samples, expected {}", key, stats.samples, samples));
    }
    const auto n = static_cast<double>(samples);
    ctx.report.Add("bytes." + key + ".chunk_bytes_per_sample", what + ": chunk data bytes per sample",
                   static_cast<double>(stats.chunk_bytes) / n, "B/sample");
    const DiskUse disk = MeasureDisk(fx.db_path());
    ctx.report.Add("bytes." + key + ".file_bytes_per_sample", what + ": database file bytes per sample",
                   disk.file_bytes / n, "B/sample");
    if (disk.by_table.contains("chunks")) {
        ctx.report.Add("bytes." + key + ".chunks_table_bytes_per_sample", what + ": chunks table pages per sample",
                       disk.by_table.at("chunks") / n, "B/sample");
        ctx.report.Add("bytes." + key + ".chunks_table_fill_pct", what + ": chunks table, row bytes / page bytes",
                       100.0 * disk.payload.at("chunks") / disk.by_table.at("chunks"), "%");
    }
    if (disk.by_table.contains("rollups")) {
        ctx.report.Add("bytes." + key + ".rollups_table_bytes_per_sample", what + ": rollups table pages per sample",
                       disk.by_table.at("rollups") / n, "B/sample");
        ctx.report.Add("bytes." + key + ".rollups_table_fill_pct", what + ": rollups table, row bytes / page bytes",
                       100.0 * disk.payload.at("rollups") / disk.by_table.at("rollups"), "%");
    }
    if (disk.rollup_rows) {
        ctx.report.Add("bytes." + key + ".rollup_rows_per_sample", what + ": rollup rows per sample",
                       *disk.rollup_rows / n, "rows");
    }
    ctx.report.Add("bytes." + key + ".free_bytes_per_sample", what + ": free pages per sample", disk.free_bytes / n,
                   "B/sample");
}

// (a) + (c): ingest `steps` samples of each of `series_count` series in time order, durably; one checkpoint.
struct IngestSpec {
    std::string key;   // "1k", "100k"
    std::string what;  // for labels
    std::size_t series_count = 0;
    std::size_t per_device = 0;
    std::int64_t steps = 0;
    ValueFn value = PowerCurve;
};

void RunIngestPart(Context& ctx, const fs::path& root, const IngestSpec& spec, bool measure_bytes) {
    const Options& o = ctx.options;
    // Step 0 is the warm-up (the engine meets each series once), steps 1..steps are timed.
    const std::int64_t last_ts = kT0 + spec.steps * kMinuteMs;
    fmt::print(
        "\n[{}] {} series x {} samples, 60 s apart, time order; {} producers, batches of {}, {} in flight each\n",
        spec.key, Report::Number(static_cast<double>(spec.series_count)),
        Report::Number(static_cast<double>(spec.steps)), o.producers, o.batch, o.in_flight);
    Fixture fx(root, spec.key, last_ts + kHourMs);
    const double setup = fx.AddSeries(spec.series_count, spec.per_device);
    fmt::print("  (created {} series in {:.1f} s)\n", spec.series_count, setup);

    tsdb::EngineOptions options;  // the defaults: sync (fdatasync per group commit), chunks of 240
    auto engine = fx.OpenEngine(options);
    const auto warm =
        RunIngest(*engine, fx.scope(), TimeOrdered(fx.series(), kT0, 1, kMinuteMs, spec.value, o.producers, o.batch),
                  o.in_flight);
    ctx.report.Add("ingest." + spec.key + ".first_contact_s",
                   fmt::format("{}: first sample of every series (lookups, untimed below)", spec.what), warm.seconds,
                   "s");

    auto work = TimeOrdered(fx.series(), kT0 + kMinuteMs, spec.steps, kMinuteMs, spec.value, o.producers, o.batch);
    const auto before = engine->stats();
    const auto ingest = RunIngest(*engine, fx.scope(), std::move(work), o.in_flight);
    const auto after = engine->stats();
    ctx.report.AddTarget("ingest." + spec.key + ".samples_per_s",
                         fmt::format("{}: ingest, time order, durable ({} samples)", spec.what,
                                     Report::Number(static_cast<double>(ingest.samples))),
                         ingest.rate(), "samples/s", 1'000'000, true);
    const auto appends = after.log_appends - before.log_appends;
    ctx.report.Add(
        "ingest." + spec.key + ".samples_per_fsync", fmt::format("{}: samples per group commit (fsync)", spec.what),
        static_cast<double>(ingest.samples) / static_cast<double>(std::max<std::int64_t>(1, appends)), "samples");
    if (after.checkpoints != before.checkpoints) {
        fmt::print("  (note: {} checkpoint(s) ran during the timed ingest)\n", after.checkpoints - before.checkpoints);
    }

    const auto start = SteadyClock::now();
    Must(engine->Checkpoint(), "checkpoint");
    const double checkpoint = Seconds(SteadyClock::now() - start);
    const std::int64_t total = warm.samples + ingest.samples;
    ctx.report.Add(
        "ingest." + spec.key + ".checkpoint_s",
        fmt::format("{}: one checkpoint of {} samples", spec.what, Report::Number(static_cast<double>(total))),
        checkpoint, "s");
    ctx.report.Add("ingest." + spec.key + ".sustained_samples_per_s",
                   fmt::format("{}: ingest incl. its checkpoint (samples / (ingest + checkpoint))", spec.what),
                   static_cast<double>(ingest.samples) / (ingest.seconds + checkpoint), "samples/s");
    engine.reset();  // closes; nothing left to checkpoint
    if (measure_bytes) ReportDisk(ctx, fx, "realistic", "power curve, 1k series", total);
}

// (a, extra) The same ingest cut into HTTP-request-sized batches: 72 samples (an OpenDTU body), 64 in flight.
void RunSmallBatchPart(Context& ctx, const fs::path& root) {
    const Options& o = ctx.options;
    constexpr std::size_t kBatch = 72;
    constexpr int kInFlight = 16;  // per producer: 64 requests waiting with 4 producers
    const std::int64_t steps = o.Scaled(2'000, 2);
    const std::int64_t last_ts = kT0 + steps * kMinuteMs;
    fmt::print("\n[small] 1,000 series x {} samples in batches of {}, {} producers x {} in flight\n",
               Report::Number(static_cast<double>(steps)), kBatch, o.producers, kInFlight);
    Fixture fx(root, "small", last_ts + kHourMs);
    fx.AddSeries(1000, 50);
    tsdb::EngineOptions options;
    options.checkpoint_on_close = false;  // the checkpoint is measured elsewhere
    auto engine = fx.OpenEngine(options);
    RunIngest(*engine, fx.scope(), TimeOrdered(fx.series(), kT0, 1, kMinuteMs, PowerCurve, o.producers, kBatch),
              kInFlight);
    const auto before = engine->stats();
    const auto ingest = RunIngest(
        *engine, fx.scope(),
        TimeOrdered(fx.series(), kT0 + kMinuteMs, steps - 1, kMinuteMs, PowerCurve, o.producers, kBatch), kInFlight);
    const auto after = engine->stats();
    ctx.report.Add("ingest.small_batches.samples_per_s",
                   fmt::format("1k series, batches of {}: ingest, time order, durable", kBatch), ingest.rate(),
                   "samples/s");
    ctx.report.Add("ingest.small_batches.batches_per_s",
                   fmt::format("1k series, batches of {}: batches acknowledged", kBatch),
                   static_cast<double>(after.batches_written - before.batches_written) / ingest.seconds, "batches/s");
    ctx.report.Add("ingest.small_batches.batches_per_fsync",
                   "1k series, batches of 72: batches per group commit (fsync)",
                   static_cast<double>(after.batches_written - before.batches_written) /
                       static_cast<double>(std::max<std::int64_t>(1, after.log_appends - before.log_appends)),
                   "batches");
}

tsdb::EngineOptions RecoveryOptions() {
    tsdb::EngineOptions options;
    options.checkpoint_on_close = false;  // leave everything in the log
    options.checkpoint_interval_ms = std::int64_t{1} << 50;
    options.checkpoint_log_bytes = std::int64_t{1} << 50;
    return options;
}

double PeakRssMib() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("VmHWM:")) return std::stod(line.substr(6)) / 1024.0;
    }
    return 0;
}

// The child side (--internal-recover=DIR --internal-now=MS): what meterhub does at start-up, timed. Prints
// "<store open s> <engine open s> <replayed samples> <peak RSS MiB>" and exits without tearing anything down.
[[noreturn]] void RecoverChild(const fs::path& dir, std::int64_t now_ms) {
    spdlog::set_level(spdlog::level::warn);
    FakeClock clock(FromMillis(now_ms));
    IdGenerator ids(clock, 2);
    const auto start = SteadyClock::now();
    auto store = Must(store::sqlite::SqliteStore::Open((dir / "meterhub.db").string(), clock, ids, {}), "open store");
    const auto opened = SteadyClock::now();
    tsdb::EngineOptions options = RecoveryOptions();
    options.log_dir = dir / "meterhub.db-log";
    auto engine = Must(tsdb::Engine::Open(*store, clock, options), "open engine");
    const auto recovered = SteadyClock::now();
    fmt::print("{} {} {} {}\n", Seconds(opened - start), Seconds(recovered - opened), engine->stats().replayed_samples,
               PeakRssMib());
    std::fflush(stdout);
    std::_Exit(0);
}

struct ChildRecovery {
    double store_s = 0;
    double engine_s = 0;
    double peak_rss_mib = 0;
};

ChildRecovery RecoverInChild(const fs::path& dir, std::int64_t now_ms, std::int64_t expected_samples) {
    const std::string command = fmt::format("'{}' --internal-recover='{}' --internal-now={}",
                                            fs::read_symlink("/proc/self/exe").string(), dir.string(), now_ms);
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) throw Failure("cannot start " + command);
    char line[256] = {};
    const bool got = std::fgets(line, sizeof line, pipe) != nullptr;
    const int status = ::pclose(pipe);
    ChildRecovery r;
    long long replayed = -1;
    if (!got || status != 0 ||
        std::sscanf(line, "%lf %lf %lld %lf", &r.store_s, &r.engine_s, &replayed, &r.peak_rss_mib) != 4) {
        throw Failure(fmt::format("recovery child failed (status {}): {}", status, line));
    }
    if (replayed != expected_samples) {
        throw Failure(fmt::format("recovery replayed {} samples, expected {}", replayed, expected_samples));
    }
    return r;
}

// (e) + (c, random doubles): samples left in the log, then Engine::Open replays them.
void RunRecoveryPart(Context& ctx, const fs::path& root) {
    const Options& o = ctx.options;
    const std::size_t series_count = 1000;
    const std::int64_t steps = o.Scaled(10'000, 2);
    const std::int64_t last_ts = kT0 + steps * kMinuteMs;
    fmt::print("\n[recovery] {} series x {} random doubles, left in the log, then Engine::Open\n",
               Report::Number(static_cast<double>(series_count)), Report::Number(static_cast<double>(steps)));
    Fixture fx(root, "recovery", last_ts + kHourMs);
    fx.AddSeries(series_count, 50);

    const tsdb::EngineOptions options = RecoveryOptions();
    std::int64_t samples = 0;
    {
        auto engine = fx.OpenEngine(options);
        samples +=
            RunIngest(*engine, fx.scope(),
                      TimeOrdered(fx.series(), kT0, 1, kMinuteMs, RandomValue, o.producers, o.batch), o.in_flight)
                .samples;
        const auto ingest = RunIngest(
            *engine, fx.scope(),
            TimeOrdered(fx.series(), kT0 + kMinuteMs, steps - 1, kMinuteMs, RandomValue, o.producers, o.batch),
            o.in_flight);
        samples += ingest.samples;
        ctx.report.Add("ingest.random.samples_per_s", "1k series, random doubles: ingest, time order, durable",
                       ingest.rate(), "samples/s");
        Must(engine->Close(), "close");
    }
    std::uintmax_t log_bytes = 0;
    std::vector<fs::path> segments;
    for (const auto& entry : fs::directory_iterator(fx.log_dir())) {
        if (entry.path().extension() == ".log") {
            log_bytes += entry.file_size();
            segments.push_back(entry.path());
        }
    }
    ctx.report.Add("recovery.log_bytes_per_sample", "sample log bytes per sample",
                   static_cast<double>(log_bytes) / static_cast<double>(samples), "B/sample");

    // A restart: a fresh process opens the store and the engine, first with the log's pages dropped from the
    // page cache (they are clean: every append was synced), then with them cached.
    for (const auto& segment : segments) {
        const int fd = ::open(segment.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ::fdatasync(fd);
            ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
            ::close(fd);
        }
    }
    const std::string n = Report::Number(static_cast<double>(samples));
    const auto cold = RecoverInChild(fx.dir(), last_ts + kHourMs, samples);
    ctx.report.AddTarget("recovery.cold_s",
                         fmt::format("recovery: Engine::Open, fresh process, {} samples in the log (not cached)", n),
                         cold.engine_s, "s", 5.0, false);
    const auto warm = RecoverInChild(fx.dir(), last_ts + kHourMs, samples);
    ctx.report.AddTarget("recovery.warm_s",
                         fmt::format("recovery: Engine::Open, fresh process, {} samples in the log (cached)", n),
                         warm.engine_s, "s", 5.0, false);
    ctx.report.Add("recovery.store_open_s", "recovery: SqliteStore::Open before it (cached)", warm.store_s, "s");
    ctx.report.Add("recovery.replay_samples_per_s", "recovery: replay rate (not cached)",
                   static_cast<double>(samples) / cold.engine_s, "samples/s");
    ctx.report.Add("recovery.peak_rss_mib", "recovery: peak RSS of the recovering process", cold.peak_rss_mib, "MiB");

    auto engine = fx.OpenEngine(options);  // again in this process, to checkpoint what it replayed
    const auto start = SteadyClock::now();
    Must(engine->Checkpoint(), "checkpoint");
    ctx.report.Add("recovery.checkpoint_s", fmt::format("random doubles: one checkpoint of {} samples after replay", n),
                   Seconds(SteadyClock::now() - start), "s");
    engine.reset();
    ReportDisk(ctx, fx, "random", "random doubles, 1k series", samples);
}

// (d) One series, one year of 1-minute data; QueryRange to 1,000 points against raw scans.
void RunQueryPart(Context& ctx, const fs::path& root) {
    const Options& o = ctx.options;
    const std::int64_t samples = kYearMs / kMinuteMs;  // always a full year: the figure is about that range
    const std::int64_t end = kT0 + samples * kMinuteMs;
    fmt::print("\n[query] 1 series, {} samples (one year, 1 minute apart); the last day still in memory\n",
               Report::Number(static_cast<double>(samples)));
    Fixture fx(root, "query", end + kHourMs);
    fx.AddSeries(1, 1);
    const SeriesId series = fx.series().front();
    tsdb::EngineOptions options;
    options.chunk_samples = 240;
    auto engine = fx.OpenEngine(options);
    auto write = [&](std::int64_t from_step, std::int64_t to_step) {
        std::vector<tsdb::SeriesSample> batch;
        for (std::int64_t i = from_step; i < to_step; ++i) {
            const std::int64_t ts = kT0 + i * kMinuteMs;
            batch.push_back({series, ts, PowerCurve(0, ts)});
            if (batch.size() == 10'000 || i + 1 == to_step) {
                Must(engine->Write(fx.scope(), batch), "write");
                batch.clear();
            }
        }
    };
    const std::int64_t in_memory = kDayMs / kMinuteMs;
    write(0, samples - in_memory);
    Must(engine->Checkpoint(), "checkpoint");
    write(samples - in_memory, samples);

    std::mt19937_64 random(20260101);
    auto uniform = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(random);
    };
    // "Year" ranges: most of the year, both ends moved by up to a week.
    std::vector<std::pair<std::int64_t, std::int64_t>> year_ranges;
    for (int i = 0; i < o.query_reps; ++i)
        year_ranges.emplace_back(kT0 + uniform(0, 7 * kDayMs), end - uniform(0, 7 * kDayMs));
    // "Mixed" ranges: log-uniform length from 1 hour to a year, anywhere in it.
    std::vector<std::pair<std::int64_t, std::int64_t>> mixed_ranges;
    for (int i = 0; i < o.query_reps; ++i) {
        const double log_len = std::uniform_real_distribution<double>(std::log(static_cast<double>(kHourMs)),
                                                                      std::log(static_cast<double>(kYearMs)))(random);
        const auto len = static_cast<std::int64_t>(std::exp(log_len));
        const std::int64_t from = kT0 + uniform(0, kYearMs - len);
        mixed_ranges.emplace_back(from, from + len);
    }

    auto time_queries = [&](const std::vector<std::pair<std::int64_t, std::int64_t>>& ranges) {
        std::vector<double> ms;
        for (const auto& [from, to] : ranges) {
            const auto start = SteadyClock::now();
            auto result = Must(tsdb::QueryRange(*engine, fx.scope(), series, from, to, 1000), "query");
            benchmark::DoNotOptimize(result.points.data());
            ms.push_back(Ms(SteadyClock::now() - start));
            if (result.points.empty() || result.points.size() > 1000) {
                throw Failure(fmt::format("query returned {} points", result.points.size()));
            }
        }
        return Summarise(std::move(ms));
    };
    (void)time_queries({year_ranges.front()});  // warm the caches once
    const auto year = time_queries(year_ranges);
    ctx.report.Add("query.year.p50_ms", "QueryRange ~1 year -> 1,000 points: p50", year.p50, "ms");
    ctx.report.AddTarget("query.year.p99_ms", "QueryRange ~1 year -> 1,000 points: p99", year.p99, "ms", 10.0, false);
    const auto mixed = time_queries(mixed_ranges);
    ctx.report.Add("query.mixed.p50_ms", "QueryRange 1 h..1 year (log-uniform) -> <= 1,000 points: p50", mixed.p50,
                   "ms");
    ctx.report.AddTarget("query.mixed.p99_ms", "QueryRange 1 h..1 year (log-uniform) -> <= 1,000 points: p99",
                         mixed.p99, "ms", 10.0, false);

    const int scan_reps = std::max(10, o.query_reps / 5);
    {
        (void)Must(engine->ReadRaw(fx.scope(), series, kT0, end), "read raw");  // warm up once, like the queries
        std::vector<double> ms;
        for (int i = 0; i < scan_reps; ++i) {
            const auto start = SteadyClock::now();
            auto raw = Must(engine->ReadRaw(fx.scope(), series, kT0, end), "read raw");
            benchmark::DoNotOptimize(raw.data());
            ms.push_back(Ms(SteadyClock::now() - start));
            if (static_cast<std::int64_t>(raw.size()) != samples) throw Failure("read raw: wrong sample count");
        }
        const auto scan = Summarise(std::move(ms));
        ctx.report.Add("query.engine_raw_year.p50_ms", "baseline: engine ReadRaw of the whole year: p50", scan.p50,
                       "ms");
        ctx.report.Add("query.engine_raw_year.p99_ms", "baseline: engine ReadRaw of the whole year: p99", scan.p99,
                       "ms");
    }
    engine.reset();

    // The same year in the bare SQLite table.
    const std::string path = (fx.dir() / "bare-year.db").string();
    Db db(path);
    db.Exec("PRAGMA journal_mode = WAL");
    db.Exec("PRAGMA synchronous = NORMAL");
    db.Exec("CREATE TABLE s(series INTEGER, ts INTEGER, value REAL, PRIMARY KEY(series, ts)) WITHOUT ROWID");
    {
        Db::Stmt insert(db, "INSERT INTO s(series, ts, value) VALUES (1, ?, ?)");
        db.Exec("BEGIN");
        for (std::int64_t i = 0; i < samples; ++i) {
            const std::int64_t ts = kT0 + i * kMinuteMs;
            insert.Bind(1, ts);
            insert.Bind(2, PowerCurve(0, ts));
            insert.Step();
            insert.Reset();
        }
        db.Exec("COMMIT");
    }
    {
        Db::Stmt scan(db, "SELECT ts, value FROM s WHERE series = 1 AND ts BETWEEN ? AND ?");
        std::vector<double> ms;
        for (int i = -1; i < scan_reps; ++i) {  // -1: warm-up, not counted
            const auto start = SteadyClock::now();
            scan.Bind(1, kT0);
            scan.Bind(2, end);
            std::vector<tsdb::Sample> rows;
            while (scan.Step()) rows.push_back({scan.Int(0), scan.Double(1)});
            scan.Reset();
            benchmark::DoNotOptimize(rows.data());
            if (i >= 0) ms.push_back(Ms(SteadyClock::now() - start));
            if (static_cast<std::int64_t>(rows.size()) != samples) throw Failure("sqlite scan: wrong row count");
        }
        const auto s = Summarise(std::move(ms));
        ctx.report.Add("query.sqlite_raw_year.p50_ms", "baseline: bare SQLite table, scan of the whole year: p50",
                       s.p50, "ms");
        ctx.report.Add("query.sqlite_raw_year.p99_ms", "baseline: bare SQLite table, scan of the whole year: p99",
                       s.p99, "ms");
    }
    {
        // What a dashboard on the bare table would run for the same "year" ranges: 1,000 buckets in SQL.
        Db::Stmt grouped(db,
                         "SELECT (ts - ?1) / ?3 AS b, AVG(value), MIN(value), MAX(value), COUNT(*) FROM s "
                         "WHERE series = 1 AND ts BETWEEN ?1 AND ?2 GROUP BY b ORDER BY b");
        std::vector<double> ms;
        for (int i = -1; i < scan_reps; ++i) {  // -1: warm-up, not counted
            const auto& [from, to] = year_ranges[static_cast<std::size_t>(i + 1) % year_ranges.size()];
            const auto start = SteadyClock::now();
            grouped.Bind(1, from);
            grouped.Bind(2, to);
            grouped.Bind(3, (to - from) / 1000 + 1);
            std::vector<tsdb::Point> points;
            while (grouped.Step()) {
                points.push_back(
                    {grouped.Int(0), grouped.Double(1), grouped.Double(2), grouped.Double(3), grouped.Int(4)});
            }
            grouped.Reset();
            benchmark::DoNotOptimize(points.data());
            if (i >= 0) ms.push_back(Ms(SteadyClock::now() - start));
        }
        const auto g = Summarise(std::move(ms));
        ctx.report.Add("query.sqlite_grouped_year.p50_ms",
                       "baseline: bare SQLite table, GROUP BY to 1,000 points (~1 year): p50", g.p50, "ms");
        ctx.report.Add("query.sqlite_grouped_year.p99_ms",
                       "baseline: bare SQLite table, GROUP BY to 1,000 points (~1 year): p99", g.p99, "ms");
    }
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
