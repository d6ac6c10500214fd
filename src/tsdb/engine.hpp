// Engine: the time-series store. One write path for every source, reads that merge memory and disk.
//
// Write path (docs/design.md, "Write path"): callers hand batches to Write/WriteAsync; the writer thread
// appends every batch waiting at that moment to the SampleLog as one record and fsyncs once (group
// commit), then applies the samples to the in-memory heads and rollup deltas, then acknowledges. A batch
// is all-or-nothing: it is validated (series of the caller's tenant, timestamps from 2000 to now+1 day,
// finite values) before anything is written. Every `checkpoint_interval` (or `checkpoint_log_bytes` of log)
// the writer rotates the log and freezes the heads; the checkpoint thread writes them as compressed chunks
// with their rollups in one SQLite transaction and then deletes the old log segments. Open() replays the
// log, so an acknowledged sample survives a crash.
//
// Reads check the caller's scope, then merge stored chunks and rollups with the heads and deltas.
//
// A failed log write is the failing group's alone: its batches get the error, nothing of it is applied or
// announced, and the log is cut back to where the group began. A failed fdatasync (or a write the log could
// not cut back) is different: the kernel may have dropped pages and forgotten the error, so the log trusts
// nothing more to that segment, and the engine refuses every later write with kUnavailable until it is
// reopened (meterhub restarted), rather than retrying; Health() and /readyz say so. Reads go on. Everything
// acknowledged before was synced before, so a restart replays it; the refused group may reappear after a
// restart if its bytes reached the disk anyway (writes are idempotent, so its client's retry is harmless).
// Checkpoints cannot rotate the failed log: Checkpoint() returns the error, and the samples stay in memory and
// in the log for the restart.
//
// Thread-safe. Read-only engines (CLI queries beside a running server) replay the log without locking it
// and accept no writes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
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
#include "tsdb/sample.hpp"
#include "tsdb/sample_log.hpp"
#include "tsdb/series_state.hpp"

namespace mh::tsdb {

struct EngineOptions {
    std::filesystem::path log_dir;
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
    std::int64_t log_appends = 0;
    std::int64_t queued_samples = 0;
    std::int64_t checkpoints = 0;
    std::int64_t checkpoint_failures = 0;
    std::int64_t replayed_samples = 0;
};

// Validation limits shared with the ingest parsers.
inline constexpr std::int64_t kEarliestTimestampMs = 946'684'800'000;  // 2000-01-01T00:00:00Z

class Engine {
  public:
    static Result<std::unique_ptr<Engine>> Open(store::ChunkStore& chunks, const Clock& clock, EngineOptions options);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Stores the batch; returns once it is durable (or why it was refused). All or nothing.
    Status Write(const TenantScope& scope, std::span<const SeriesSample> samples);
    // The same without blocking: `done` runs on the writer thread once the batch is durable, or at once
    // (on this thread) when the batch is refused. `done` must be quick.
    using Done = std::function<void(Status)>;
    void WriteAsync(const TenantScope& scope, std::vector<SeriesSample> samples, Done done);

    // Told of every batch once it is durable and applied (on the writer thread, before the batch's `done`):
    // the tenant and its samples. Must be quick and must not call back into the engine's write path. Not told
    // of refused batches, failed log appends, or the log replay at Open().
    using CommitListener = std::function<void(TenantId tenant, std::span<const SeriesSample> samples)>;
    void SetCommitListener(CommitListener listener);  // before the first write; not thread-safe against writes

    // Forget what is cached about these series, after they were deleted from the store: later writes to them
    // are refused (kNotFound) instead of accepted and then dropped by the checkpoint. Samples already queued
    // or in memory are dropped by the checkpoint as before.
    void ForgetSeries(std::span<const SeriesId> series);

    // Writes every head to chunks now and waits for it.
    Status Checkpoint();
    // Stops accepting writes, finishes queued ones, checkpoints and stops the threads. Idempotent.
    Status Close();

    // Reads.
    Result<store::SeriesInfo> Info(const TenantScope& scope, SeriesId series);
    Result<std::optional<Sample>> Latest(const TenantScope& scope, SeriesId series);
    // Samples with from_ms <= ts <= to_ms, in time order.
    Result<std::vector<Sample>> ReadRaw(const TenantScope& scope, SeriesId series, std::int64_t from_ms,
                                        std::int64_t to_ms);
    // Rollup rows of one resolution with from_ms <= bucket < to_ms, in time order, memory merged in.
    Result<std::vector<store::RollupRow>> ReadRollups(const TenantScope& scope, SeriesId series,
                                                      std::int32_t resolution_s, std::int64_t from_ms,
                                                      std::int64_t to_ms);

    EngineStats stats() const;
    // Ok, or why writes are refused until the engine is reopened (the sample log failed; see above).
    Status Health() const;
    const EngineOptions& options() const { return options_; }
    const Clock& clock() const { return clock_; }

  private:
    struct Request {
        TenantId tenant;  // for the commit listener
        std::vector<SeriesSample> samples;
        Done done;
    };
    struct CheckpointJob;

    Engine(store::ChunkStore& chunks, const Clock& clock, EngineOptions options);
    Status Start();
    Status Validate(const TenantScope& scope, std::span<const SeriesSample> samples);
    Result<store::SeriesInfo> InfoFor(SeriesId series);
    SeriesState& StateFor(const store::SeriesInfo& info);  // exclusive lock held
    Status SeedFromStore(SeriesState& state);
    void ApplyBatch(std::span<const SeriesSample> samples);  // exclusive lock held
    void WriterLoop();
    void NotifyCommitted(std::span<const Request> batch);
    void CheckpointLoop();
    bool CheckpointDue();
    void FreezeForCheckpoint();
    Status RunCheckpoint(CheckpointJob& job);
    void Unfreeze(std::span<SeriesState* const> states);
    void NoteLogHealth();  // writer thread, after a failed log call

    store::ChunkStore& chunks_;
    const Clock& clock_;
    const EngineOptions options_;
    const RollupRules rules_;
    std::unique_ptr<SampleLog> log_;
    CommitListener commit_listener_;  // set before the writer sees a request, read by the writer only

    // Series metadata cache, filled on demand; separate from the state lock so validation never waits on
    // the writer.
    std::shared_mutex info_mutex_;
    std::unordered_map<SeriesId, store::SeriesInfo> infos_;

    // Heads, deltas and frozen data of every series.
    mutable std::shared_mutex state_mutex_;
    std::unordered_map<SeriesId, std::unique_ptr<SeriesState>> states_;

    // The writer's queue.
    std::mutex queue_mutex_;
    std::condition_variable queue_cv_;
    std::vector<Request> queue_;
    std::int64_t queued_samples_ = 0;
    bool stopping_ = false;
    bool closed_ = false;

    // Checkpoint hand-over between the writer and the checkpoint thread.
    std::mutex checkpoint_mutex_;
    std::condition_variable checkpoint_cv_;
    bool checkpoint_requested_ = false;
    bool checkpoint_running_ = false;
    std::unique_ptr<CheckpointJob> checkpoint_job_;
    std::uint64_t checkpoints_done_ = 0;
    Status last_checkpoint_status_;
    std::int64_t last_checkpoint_ms_ = 0;

    // Set once the log refuses everything (writer thread); read by Health() and WriteAsync from any thread.
    std::atomic<bool> log_failed_{false};
    mutable std::mutex health_mutex_;
    Status log_health_;

    std::atomic<std::int64_t> samples_written_{0};
    std::atomic<std::int64_t> batches_written_{0};
    std::atomic<std::int64_t> log_appends_{0};
    std::atomic<std::int64_t> checkpoint_count_{0};
    std::atomic<std::int64_t> checkpoint_failures_{0};
    std::int64_t replayed_samples_ = 0;

    std::thread writer_thread_;
    std::thread checkpoint_thread_;
};

}  // namespace mh::tsdb
