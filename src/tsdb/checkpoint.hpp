// Checkpoint planning: what one series' frozen head becomes in the chunk store.
//
// Appends to the series' newest chunk while it has room (so chunks fill up to chunk_samples and compress
// well), rewrites the chunks that late samples fall into, and turns the frozen rollup deltas into rows to
// merge, or, for a dirty series, recomputes its rollups from the first dirty day on.
#pragma once

#include "core/result.hpp"
#include "store/chunk_store.hpp"
#include "tsdb/series_state.hpp"

namespace mh::tsdb {

struct CheckpointPlan {
    store::ChunkWrite write;
    LastChunkMeta last_chunk;  // the series' newest chunk after the write commits
};

// Adds to `plan` what it takes to persist `state.frozen` and `state.frozen_deltas`. Reads the store; does
// not write. `state.last_chunk` must be known.
Status PlanSeriesCheckpoint(store::ChunkStore& chunks, SeriesState& state, const RollupRules& rules,
                            std::int64_t chunk_samples, CheckpointPlan& plan);

// Carries the counter and the interval's left end over from what is stored into a new state, so that a restart
// (or a compaction) neither loses nor invents energy. A day of history rebuilds an undecided counter drop.
Status SeedFromStore(store::ChunkStore& chunks, SeriesState& state);

// Loads the newest chunk's metadata into state.last_chunk.
Status LoadLastChunkMeta(store::ChunkStore& chunks, SeriesState& state);

// Decodes the stored samples of `series` with from_ms <= ts <= to_ms.
Result<std::vector<Sample>> ReadStoredSamples(store::ChunkStore& chunks, SeriesId series, std::int64_t from_ms,
                                              std::int64_t to_ms);

}  // namespace mh::tsdb
