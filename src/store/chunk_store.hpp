// ChunkStore: where the time-series engine keeps compressed chunks and rollups.
//
// This is the engine's container, not a tenant-facing repository: calls are keyed by series id and take
// no TenantScope. Only the tsdb layer uses it, and tsdb's public API checks the caller's scope against the
// series before anything reaches this interface (docs/design.md, "Tenant isolation"). Rows still carry
// tenant_id so that a shared PostgreSQL can partition and police them by tenant.
//
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/records.hpp"

namespace mh::store {

// What the engine needs to know about a series to accept and aggregate its samples.
struct SeriesInfo {
    SeriesId id;
    TenantId tenant;
    SeriesKind kind = SeriesKind::kGauge;
    std::string time_zone = "UTC";
};

struct ChunkRow {
    SeriesId series;
    TenantId tenant;
    std::int64_t start_ms = 0;  // first sample's timestamp; with series, the key
    std::int64_t end_ms = 0;    // last sample's timestamp
    std::int64_t count = 0;
    std::vector<std::uint8_t> data;  // tsdb chunk codec
};

// Aggregates of one series over one bucket. `increase` is a counter's rise over the intervals that end in
// the bucket (resets and glitches handled, never negative); `integral` is the time integral of the value
// over those intervals in value-hours (W -> Wh), with gaps capped.
struct RollupRow {
    SeriesId series;
    TenantId tenant;
    std::int32_t resolution_s = 0;  // 3600 (local hour) or 86400 (local day)
    std::int64_t bucket_ms = 0;     // bucket start, UTC
    std::int64_t count = 0;
    double min = 0, max = 0, sum = 0;
    std::int64_t first_ts = 0;
    double first = 0;
    std::int64_t last_ts = 0;
    double last = 0;
    double increase = 0;
    double integral = 0;
};

struct ChunkKey {
    SeriesId series;
    std::int64_t start_ms = 0;
};

// From `from_ms` on, a series' rollups are recomputed: the stored ones are dropped first.
struct RollupReset {
    SeriesId series;
    std::int64_t from_ms = 0;
};

// One atomic change from a checkpoint: chunks removed, chunks replaced or added, rollups reset, and rollup
// rows merged into the stored ones (counts and sums add up, min/max/first/last combine).
struct ChunkWrite {
    std::vector<ChunkKey> deletes;
    std::vector<ChunkRow> chunks;
    std::vector<RollupReset> rollup_resets;
    std::vector<RollupRow> rollups;
};

// Lets the engine make a commit and its own in-memory hand-over one step for its readers: before_commit runs
// after everything is written but before COMMIT, after_commit right after it (told whether it committed).
struct CommitHooks {
    std::function<void()> before_commit;
    std::function<void(bool committed)> after_commit;
};

class ChunkStore {
  public:
    virtual ~ChunkStore() = default;

    virtual Result<std::optional<SeriesInfo>> LookupSeries(SeriesId id) = 0;
    // The chunks of `series` that overlap [from_ms, to_ms], in time order.
    virtual Result<std::vector<ChunkRow>> ReadChunks(SeriesId series, std::int64_t from_ms, std::int64_t to_ms) = 0;
    virtual Result<std::optional<ChunkRow>> LastChunk(SeriesId series) = 0;
    // Rollup rows with bucket_ms in [from_ms, to_ms), in time order.
    virtual Result<std::vector<RollupRow>> ReadRollups(SeriesId series, std::int32_t resolution_s, std::int64_t from_ms,
                                                       std::int64_t to_ms) = 0;
    // Writes the whole change in one transaction; chunks and rollups of series that no longer exist (deleted
    // meanwhile) are skipped.
    virtual Status Write(const ChunkWrite& change, const CommitHooks& hooks) = 0;
    // Retention: deletes the tenant's chunks that end before `before_ms`; returns how many samples went.
    virtual Result<std::int64_t> PurgeChunks(TenantId tenant, std::int64_t before_ms) = 0;
    // Sizes, for `meterhub db status` and the benchmarks.
    struct Stats {
        std::int64_t chunks = 0;
        std::int64_t samples = 0;
        std::int64_t chunk_bytes = 0;
    };
    virtual Result<Stats> ChunkStats() = 0;
};

}  // namespace mh::store
