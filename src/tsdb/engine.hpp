// Engine: the time-series store. One write path for every source, reads that merge what is stored with what is
// still on its way. Two kinds share this interface and its write path:
//
//   LocalEngine (local_engine.hpp)   one instance on its own store: a fsynced sample log on local disk and
//                                    in-memory heads, checkpointed into chunks (the embedded SQLite setup);
//   SharedEngine (shared_engine.hpp) several stateless instances on one shared database: every sample is
//                                    committed there before it is acknowledged, and compacted into chunks
//                                    by a leased job (PostgreSQL).
//
// The write path: callers hand batches to Write/WriteAsync; a batch is all-or-nothing, validated (series of
// the caller's tenant, timestamps from 2000 to now + max_future, finite values) before anything is written,
// and queued (at most max_queue_samples wait); the writer thread takes every batch waiting at that moment and
// makes them durable as one group (group commit), then acknowledges each. Reads check the caller's scope first.
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/tenant_scope.hpp"
#include "store/chunk_store.hpp"
#include "tsdb/log_env.hpp"
#include "tsdb/sample.hpp"
#include "tsdb/series_state.hpp"

namespace mh::tsdb {

struct EngineOptions {
    std::filesystem::path log_dir;  // LocalEngine's sample log
    bool read_only = false;
    bool sync = true;
    std::int64_t checkpoint_interval_ms = 300'000;
    std::int64_t checkpoint_log_bytes = 256ll << 20;
    std::int64_t max_queue_samples = 2'000'000;
    std::int64_t chunk_samples = 240;
    std::int64_t gap_cap_ms = 600'000;
    std::int64_t max_future_ms = 86'400'000;
    bool checkpoint_on_close = true;  // tests turn it off to leave work for the log replay
    LogEnv* log_env = nullptr;        // the log's file operations (tests inject faults); null: the real ones
};

struct EngineStats {
    std::int64_t samples_written = 0;
    std::int64_t batches_written = 0;
    std::int64_t log_appends = 0;  // group commits
    std::int64_t queued_samples = 0;
    std::int64_t checkpoints = 0;  // checkpoints (local) or compactions (shared)
    std::int64_t checkpoint_failures = 0;
    std::int64_t replayed_samples = 0;
};

// Validation limits shared with the ingest parsers.
inline constexpr std::int64_t kEarliestTimestampMs = 946'684'800'000;  // 2000-01-01T00:00:00Z

class Engine {
  public:
    virtual ~Engine() = default;
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Stores the batch; returns once it is durable (or why it was refused). All or nothing.
    Status Write(const TenantScope& scope, std::span<const SeriesSample> samples);
    // The same without blocking: `done` runs on the writer thread once the batch is durable, or at once
    // (on this thread) when the batch is refused. `done` must be quick.
    using Done = std::function<void(Status)>;
    void WriteAsync(const TenantScope& scope, std::vector<SeriesSample> samples, Done done);

    // Told of every batch once it is durable (on the writer thread, before the batch's `done`): the tenant and
    // its samples. Must be quick and must not call back into the engine's write path. Not told of refused
    // batches, failed writes, or what another instance wrote.
    using CommitListener = std::function<void(TenantId tenant, std::span<const SeriesSample> samples)>;
    void SetCommitListener(CommitListener listener);  // before the first write; not thread-safe against writes

    // Forget what is cached about these series, after they were deleted from the store: later writes to them
    // are refused (kNotFound) instead of accepted and then dropped.
    void ForgetSeries(std::span<const SeriesId> series);

    // Moves everything acknowledged into chunks now and waits for it.
    virtual Status Checkpoint() = 0;
    // Stops accepting writes, finishes queued ones and stops the threads. Idempotent. Subclasses call
    // StopWriter() first.
    virtual Status Close() = 0;

    // Reads.
    Result<store::SeriesInfo> Info(const TenantScope& scope, SeriesId series);
    virtual Result<std::optional<Sample>> Latest(const TenantScope& scope, SeriesId series) = 0;
    // Samples with from_ms <= ts <= to_ms, in time order.
    virtual Result<std::vector<Sample>> ReadRaw(const TenantScope& scope, SeriesId series, std::int64_t from_ms,
                                                std::int64_t to_ms) = 0;
    // Rollup rows of one resolution with from_ms <= bucket < to_ms, in time order, what is not stored yet
    // merged in.
    virtual Result<std::vector<store::RollupRow>> ReadRollups(const TenantScope& scope, SeriesId series,
                                                              std::int32_t resolution_s, std::int64_t from_ms,
                                                              std::int64_t to_ms) = 0;

    EngineStats stats() const;
    // Ok, or why writes are refused now.
    virtual Status Health() const = 0;
    const EngineOptions& options() const { return options_; }
    const Clock& clock() const { return clock_; }

  protected:
    struct Request {
        TenantId tenant;  // for the commit listener
        std::vector<SeriesSample> samples;
        Done done;
    };

    Engine(store::ChunkStore& chunks, const Clock& clock, EngineOptions options);

    // Makes one group durable (writer thread): `batch`'s requests, `samples` all of their samples in order.
    virtual Status CommitGroup(std::span<const Request> batch, std::span<const SeriesSample> samples) = 0;
    // Runs on the writer thread after each group and at least every tick while idle.
    virtual void AfterGroup() {}
    // Why writes are refused before they are queued (nothing would be durable), or Ok.
    virtual Status Refusal() const { return Ok(); }
    // Wakes the writer thread early (a checkpoint was asked for).
    void WakeWriter() { queue_cv_.notify_one(); }

    void StartWriter();
    // Lets the queue drain and joins the writer thread; later writes are refused. Idempotent.
    void StopWriter();
    bool writer_running() const { return writer_thread_.joinable(); }

    Result<store::SeriesInfo> InfoFor(SeriesId series);
    // Per-kind counters for stats(); the base fills in what the write path counts.
    virtual void AddStats(EngineStats&) const {}

    store::ChunkStore& chunks_;
    const Clock& clock_;
    const EngineOptions options_;
    const RollupRules rules_;

  private:
    Status Validate(const TenantScope& scope, std::span<const SeriesSample> samples);
    void WriterLoop();
    void NotifyCommitted(std::span<const Request> batch);

    CommitListener commit_listener_;  // set before the writer sees a request, read by the writer only

    // Series metadata cache, filled on demand; separate from any state lock so validation never waits on the
    // writer.
    std::shared_mutex info_mutex_;
    std::unordered_map<SeriesId, store::SeriesInfo> infos_;

    // The writer's queue.
    std::mutex queue_mutex_;
    std::condition_variable queue_cv_;
    std::vector<Request> queue_;
    std::int64_t queued_samples_ = 0;
    bool stopping_ = false;

    std::atomic<std::int64_t> samples_written_{0};
    std::atomic<std::int64_t> batches_written_{0};
    std::atomic<std::int64_t> group_commits_{0};

    std::thread writer_thread_;
};

// The zone a series' rollups are bucketed in (UTC, with a warning, for a zone this build does not know).
TimeZone ZoneOf(const store::SeriesInfo& info);

// Merges in-memory rollup deltas (bucket -> aggregate) into stored rollup rows of one resolution.
std::vector<store::RollupRow> MergeRollups(std::vector<store::RollupRow> rows,
                                           const std::map<std::int64_t, Aggregate>& memory, SeriesId series,
                                           TenantId tenant, std::int32_t resolution_s);

}  // namespace mh::tsdb
