// LocalEngine: the time-series engine of one instance on its own store (the embedded SQLite setup).
//
// Write path (docs/design.md, "Write path"): the writer thread appends every batch waiting at that moment to
// the SampleLog as one record and fsyncs once (group commit), then applies the samples to the in-memory heads
// and rollup deltas, then acknowledges. Every `checkpoint_interval` (or `checkpoint_log_bytes` of log) the
// writer rotates the log and freezes the heads; the checkpoint thread writes them as compressed chunks with
// their rollups in one SQLite transaction and then deletes the old log segments. Open() replays the log, so an
// acknowledged sample survives a crash.
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
#include "tsdb/engine.hpp"
#include "tsdb/sample.hpp"
#include "tsdb/sample_log.hpp"
#include "tsdb/series_state.hpp"

namespace mh::tsdb {

class LocalEngine final : public Engine {
  public:
    static Result<std::unique_ptr<LocalEngine>> Open(store::ChunkStore& chunks, const Clock& clock,
                                                     EngineOptions options);
    ~LocalEngine() override;

    Status Checkpoint() override;
    Status Close() override;

    Result<std::optional<Sample>> Latest(const TenantScope& scope, SeriesId series) override;
    Result<std::vector<Sample>> ReadRaw(const TenantScope& scope, SeriesId series, std::int64_t from_ms,
                                        std::int64_t to_ms) override;
    Result<std::vector<store::RollupRow>> ReadRollups(const TenantScope& scope, SeriesId series,
                                                      std::int32_t resolution_s, std::int64_t from_ms,
                                                      std::int64_t to_ms) override;
    Status Health() const override;

  private:
    struct CheckpointJob;

    LocalEngine(store::ChunkStore& chunks, const Clock& clock, EngineOptions options);
    Status Start();
    SeriesState& StateFor(const store::SeriesInfo& info);    // exclusive lock held
    void ApplyBatch(std::span<const SeriesSample> samples);  // exclusive lock held
    Status CommitGroup(std::span<const Request> batch, std::span<const SeriesSample> samples) override;
    void AfterGroup() override;
    Status Refusal() const override;
    void AddStats(EngineStats& stats) const override;
    void CheckpointLoop();
    bool CheckpointDue();
    void FreezeForCheckpoint();
    Status RunCheckpoint(CheckpointJob& job);
    void Unfreeze(std::span<SeriesState* const> states);
    void NoteLogHealth();  // writer thread, after a failed log call

    std::unique_ptr<SampleLog> log_;

    // Heads, deltas and frozen data of every series.
    mutable std::shared_mutex state_mutex_;
    std::unordered_map<SeriesId, std::unique_ptr<SeriesState>> states_;

    // Checkpoint hand-over between the writer and the checkpoint thread.
    std::mutex checkpoint_mutex_;
    std::condition_variable checkpoint_cv_;
    bool checkpoint_requested_ = false;
    bool checkpoint_running_ = false;
    bool closed_ = false;
    std::unique_ptr<CheckpointJob> checkpoint_job_;
    std::uint64_t checkpoints_done_ = 0;
    Status last_checkpoint_status_;
    std::int64_t last_checkpoint_ms_ = 0;

    // Set once the log refuses everything (writer thread); read by Health() and WriteAsync from any thread.
    std::atomic<bool> log_failed_{false};
    mutable std::mutex health_mutex_;
    Status log_health_;

    std::atomic<std::int64_t> checkpoint_count_{0};
    std::atomic<std::int64_t> checkpoint_failures_{0};
    std::int64_t replayed_samples_ = 0;

    std::thread checkpoint_thread_;
};

}  // namespace mh::tsdb
