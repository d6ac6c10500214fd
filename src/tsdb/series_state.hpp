// SeriesState: everything the engine keeps in memory for one series between checkpoints.
//
// The head holds the samples not yet in chunks, sorted by time; `frozen` holds the ones a running
// checkpoint is writing. Rollup deltas hold what those samples add to each bucket, so reads can merge
// stored rollups with what is still in memory. Samples that arrive in time order update the deltas at
// once; a sample older than the newest (a late or repeated one) marks the series dirty, and the next
// checkpoint recomputes the rollups of its days from the data.
//
// Guarded by the engine's state lock: the writer thread mutates under the exclusive lock, readers copy
// under the shared lock; `frozen*` fields are only written while the exclusive lock is held.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <vector>

#include "core/time_zone.hpp"
#include "store/chunk_store.hpp"
#include "tsdb/aggregate.hpp"
#include "tsdb/counter.hpp"
#include "tsdb/sample.hpp"

namespace mh::tsdb {

using BucketDeltas = std::array<std::map<std::int64_t, Aggregate>, kResolutionCount>;  // like kResolutions

inline constexpr std::int64_t kNoDirt = std::numeric_limits<std::int64_t>::max();

// Where a series' newest stored chunk is, so checkpoints can append to it without searching.
struct LastChunkMeta {
    bool known = false;  // false: not looked up yet
    bool exists = false;
    std::int64_t start_ms = 0;
    std::int64_t end_ms = 0;
    std::int64_t count = 0;
};

struct SeriesState {
    SeriesState(store::SeriesInfo series_info, TimeZone zone)
        : info(std::move(series_info)), bucketer(std::move(zone)) {}

    store::SeriesInfo info;
    LocalBucketer bucketer;

    std::vector<Sample> head;
    BucketDeltas deltas;
    std::int64_t dirty_from = kNoDirt;

    std::vector<Sample> frozen;
    BucketDeltas frozen_deltas;
    std::int64_t frozen_dirty_from = kNoDirt;

    CounterTracker counter;
    std::optional<Sample> prev;  // newest sample taken in order: the left end of the next interval

    LastChunkMeta last_chunk;  // touched by the checkpoint thread only
};

// Rules that shape rollups, from the engine's options.
struct RollupRules {
    std::int64_t gap_cap_ms = 600'000;
};

// Adds one sample to the series' head and deltas (writer thread, exclusive lock held).
void ApplySample(SeriesState& state, const Sample& sample, const RollupRules& rules);

// The start of the bucket of resolution index `r` (0: local hour, 1: local day) containing ts.
std::int64_t BucketStart(LocalBucketer& bucketer, int r, std::int64_t ts_ms);

// Folds a sorted run of samples into fresh per-bucket aggregates; `counter` and `prev` carry state from the
// samples before the run and are advanced. Used to recompute dirty days.
void FoldSamples(std::span<const Sample> samples, LocalBucketer& bucketer, CounterTracker& counter,
                 std::optional<Sample>& prev, store::SeriesKind kind, const RollupRules& rules, BucketDeltas& out);

// Merges `newer` into `older` (both sorted by ts); on equal timestamps the newer sample wins.
std::vector<Sample> MergeSamples(std::span<const Sample> older, std::span<const Sample> newer);

}  // namespace mh::tsdb
