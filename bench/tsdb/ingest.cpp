// Definitions for ingest.hpp.
#include "ingest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <semaphore>
#include <thread>
#include <utility>

#include "fixture.hpp"

namespace mh::bench {

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

}  // namespace mh::bench
