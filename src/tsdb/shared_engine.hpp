// SharedEngine: the time-series engine of several stateless instances on one shared database (PostgreSQL).
//
// Nothing acknowledged lives only in this process: the writer thread commits each group of batches to the
// SampleJournal (one commit for every batch waiting at that moment, like the local engine's group commit)
// before it acknowledges them, so an instance may die at any moment and any other instance reads every
// acknowledged sample at once. The engine keeps no heads: a read merges the stored chunks and rollups with the
// journal's rows of the series, folding those into rollup deltas exactly as the local engine folds its heads
// (the same SeriesState code, seeded from the stored tail). Compact() — a leased job, so one instance runs it —
// turns the journal's cold rows into chunks and rollups (the same CheckpointPlan as the local checkpoint) and
// deletes those rows in the same transaction. Writes are refused with kUnavailable while the database is.
// Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "store/sample_journal.hpp"
#include "tsdb/engine.hpp"

namespace mh::tsdb {

struct CompactionStats {
    std::int64_t series = 0;
    std::int64_t samples = 0;
};

class SharedEngine final : public Engine {
  public:
    static Result<std::unique_ptr<SharedEngine>> Open(store::ChunkStore& chunks, store::SampleJournal& journal,
                                                      const Clock& clock, EngineOptions options);
    ~SharedEngine() override;

    // Compacts the journal's rows older than before_ms (all series, a bounded number per round until none are
    // left) and keeps its storage for the coming days ready.
    Result<CompactionStats> Compact(std::int64_t before_ms);
    // Compacts everything.
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
    SharedEngine(store::ChunkStore& chunks, store::SampleJournal& journal, const Clock& clock, EngineOptions options);
    Status CommitGroup(std::span<const Request> batch, std::span<const SeriesSample> samples) override;
    void AddStats(EngineStats& stats) const override;
    // The series' state as if its journal rows had just been applied to a head seeded from the store.
    Result<SeriesState> Pending(const store::SeriesInfo& info);
    Result<store::ChunkWrite> PlanCompaction(SeriesId series, std::span<const store::JournalSample> rows);

    store::SampleJournal& journal_;
    std::vector<store::JournalRow> rows_;  // the writer's buffer

    std::mutex compact_mutex_;  // one compaction at a time in this process (the lease keeps it one in all)
    std::atomic<std::int64_t> compactions_{0};
    std::atomic<std::int64_t> compaction_failures_{0};

    mutable std::mutex health_mutex_;
    Status health_;  // the last group's outcome: writes fail while the database does
};

}  // namespace mh::tsdb
