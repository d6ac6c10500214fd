// Definitions for recovery.hpp: both sides of the recovery part, the child that recovers and the parent that
// fills the log, drops it from the page cache, starts the child twice and checkpoints what was replayed.
#include "recovery.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "data.hpp"
#include "fixture.hpp"
#include "ingest.hpp"
#include "store/sqlite/open.hpp"
#include "tsdb/local_engine.hpp"

namespace mh::bench {
namespace {

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

}  // namespace

[[noreturn]] void RecoverChild(const fs::path& dir, std::int64_t now_ms) {
    spdlog::set_level(spdlog::level::warn);
    FakeClock clock(FromMillis(now_ms));
    IdGenerator ids(clock, 2);
    const auto start = SteadyClock::now();
    auto store = Must(store::sqlite::Open((dir / "meterhub.db").string(), clock, ids, {}), "open store");
    const auto opened = SteadyClock::now();
    tsdb::EngineOptions options = RecoveryOptions();
    options.log_dir = dir / "meterhub.db-log";
    auto engine = Must(tsdb::LocalEngine::Open(store->chunks(), clock, options), "open engine");
    const auto recovered = SteadyClock::now();
    fmt::print("{} {} {} {}\n", Seconds(opened - start), Seconds(recovered - opened), engine->stats().replayed_samples,
               PeakRssMib());
    std::fflush(stdout);
    std::_Exit(0);
}

namespace {

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

}  // namespace

void RunRecoveryPart(Context& ctx, const fs::path& root) {
    const Options& o = ctx.options;
    const std::size_t series_count = 1000;
    const std::int64_t steps = o.Scaled(10'000, 2);
    const std::int64_t last_ts = kT0 + steps * kMinuteMs;
    fmt::print("\n[recovery] {} series x {} random doubles, left in the log, then LocalEngine::Open\n",
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
                         fmt::format("recovery: LocalEngine::Open, fresh process, {} samples in the log (not cached)", n),
                         cold.engine_s, "s", 5.0, false);
    const auto warm = RecoverInChild(fx.dir(), last_ts + kHourMs, samples);
    ctx.report.AddTarget("recovery.warm_s",
                         fmt::format("recovery: LocalEngine::Open, fresh process, {} samples in the log (cached)", n),
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

}  // namespace mh::bench
