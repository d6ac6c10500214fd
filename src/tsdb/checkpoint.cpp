#include "tsdb/checkpoint.hpp"

#include <algorithm>

#include "tsdb/chunk_codec.hpp"

namespace mh::tsdb {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;

store::ChunkRow MakeChunk(const SeriesState& state, std::span<const Sample> samples) {
    store::ChunkRow row;
    row.series = state.info.id;
    row.tenant = state.info.tenant;
    row.start_ms = samples.front().ts_ms;
    row.end_ms = samples.back().ts_ms;
    row.count = static_cast<std::int64_t>(samples.size());
    row.data = EncodeChunk(samples);
    return row;
}

// Cuts `samples` into chunks of at most `size` and adds them to the write.
void AddChunks(const SeriesState& state, std::span<const Sample> samples, std::int64_t size, CheckpointPlan& plan) {
    for (std::size_t at = 0; at < samples.size(); at += static_cast<std::size_t>(size)) {
        const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(size), samples.size() - at);
        plan.write.chunks.push_back(MakeChunk(state, samples.subspan(at, n)));
    }
}

void NoteNewest(CheckpointPlan& plan) {
    for (const auto& chunk : plan.write.chunks) {
        if (!plan.last_chunk.exists || chunk.start_ms >= plan.last_chunk.start_ms) {
            plan.last_chunk = LastChunkMeta{true, true, chunk.start_ms, chunk.end_ms, chunk.count};
        }
    }
}

void AddDeltaRows(const SeriesState& state, const BucketDeltas& deltas, std::int64_t below_ms, CheckpointPlan& plan) {
    for (int r = 0; r < kResolutionCount; ++r) {
        for (const auto& [bucket, agg] : deltas[r]) {
            if (bucket >= below_ms) continue;
            plan.write.rollups.push_back(ToRow(agg, state.info.id, state.info.tenant, kResolutions[r], bucket));
        }
    }
}

// Recomputes every rollup of the series from the local day of `dirty_from` on, from stored chunks merged
// with the frozen samples.
Status RecomputeRollups(store::ChunkStore& chunks, SeriesState& state, const RollupRules& rules,
                        std::int64_t dirty_from, CheckpointPlan& plan) {
    const std::int64_t day = state.bucketer.DayStartMs(dirty_from);
    MH_ASSIGN_OR_RETURN(
        auto stored, ReadStoredSamples(chunks, state.info.id, day - kDayMs, std::numeric_limits<std::int64_t>::max()));
    const std::vector<Sample> all = MergeSamples(stored, state.frozen);
    const auto split =
        std::lower_bound(all.begin(), all.end(), day, [](const Sample& s, std::int64_t ts) { return s.ts_ms < ts; });
    CounterTracker counter;
    std::optional<Sample> prev;
    BucketDeltas ignored;
    FoldSamples(std::span(all.begin(), split), state.bucketer, counter, prev, state.info.kind, rules, ignored);
    BucketDeltas rebuilt;
    FoldSamples(std::span(split, all.end()), state.bucketer, counter, prev, state.info.kind, rules, rebuilt);
    plan.write.rollup_resets.push_back({state.info.id, day});
    AddDeltaRows(state, rebuilt, std::numeric_limits<std::int64_t>::max(), plan);
    AddDeltaRows(state, state.frozen_deltas, day, plan);
    return Ok();
}

}  // namespace

Result<std::vector<Sample>> ReadStoredSamples(store::ChunkStore& chunks, SeriesId series, std::int64_t from_ms,
                                              std::int64_t to_ms) {
    MH_ASSIGN_OR_RETURN(auto rows, chunks.ReadChunks(series, from_ms, to_ms));
    std::vector<Sample> decoded;
    std::vector<Sample> out;
    for (const auto& row : rows) {
        decoded.clear();
        if (auto status = DecodeChunk(row.data, decoded); !status) {
            return MakeError(Errc::kDataLoss, "series " + std::to_string(series.value()) + ", chunk at " +
                                                  std::to_string(row.start_ms) + ": " + status.error().message);
        }
        for (const Sample& s : decoded) {
            if (s.ts_ms >= from_ms && s.ts_ms <= to_ms) out.push_back(s);
        }
    }
    return out;
}

Status LoadLastChunkMeta(store::ChunkStore& chunks, SeriesState& state) {
    MH_ASSIGN_OR_RETURN(auto last, chunks.LastChunk(state.info.id));
    state.last_chunk = last ? LastChunkMeta{true, true, last->start_ms, last->end_ms, last->count}
                            : LastChunkMeta{true, false, 0, 0, 0};
    return Ok();
}

Status PlanSeriesCheckpoint(store::ChunkStore& chunks, SeriesState& state, const RollupRules& rules,
                            std::int64_t chunk_samples, CheckpointPlan& plan) {
    plan.last_chunk = state.last_chunk;
    const std::vector<Sample>& frozen = state.frozen;
    if (!frozen.empty()) {
        const LastChunkMeta& last = state.last_chunk;
        if (!last.exists || frozen.front().ts_ms > last.end_ms) {
            std::span<const Sample> rest(frozen);
            if (last.exists && last.count < chunk_samples) {
                // Top up the newest chunk first.
                MH_ASSIGN_OR_RETURN(auto tail, ReadStoredSamples(chunks, state.info.id, last.start_ms, last.end_ms));
                const std::size_t room = static_cast<std::size_t>(chunk_samples) - tail.size();
                const std::size_t take = std::min(room, rest.size());
                tail.insert(tail.end(), rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(take));
                if (!tail.empty()) {
                    plan.write.deletes.push_back({state.info.id, last.start_ms});
                    plan.write.chunks.push_back(MakeChunk(state, tail));
                }
                rest = rest.subspan(take);
            }
            AddChunks(state, rest, chunk_samples, plan);
        } else {
            // Late samples: rewrite the chunks they fall into.
            MH_ASSIGN_OR_RETURN(auto rows, chunks.ReadChunks(state.info.id, frozen.front().ts_ms, frozen.back().ts_ms));
            std::vector<Sample> stored;
            for (const auto& row : rows) {
                MH_RETURN_IF_ERROR(DecodeChunk(row.data, stored));
                plan.write.deletes.push_back({state.info.id, row.start_ms});
            }
            AddChunks(state, MergeSamples(stored, frozen), chunk_samples, plan);
        }
        NoteNewest(plan);
    }
    if (state.frozen_dirty_from != kNoDirt) {
        MH_RETURN_IF_ERROR(RecomputeRollups(chunks, state, rules, state.frozen_dirty_from, plan));
    } else {
        AddDeltaRows(state, state.frozen_deltas, std::numeric_limits<std::int64_t>::max(), plan);
    }
    return Ok();
}

Status SeedFromStore(store::ChunkStore& chunks, SeriesState& state) {
    MH_ASSIGN_OR_RETURN(auto last, chunks.LastChunk(state.info.id));
    if (!last) return Ok();
    constexpr std::int64_t kDayMs = 86'400'000;
    const std::int64_t from = state.info.kind == store::SeriesKind::kCounter ? last->end_ms - kDayMs : last->end_ms;
    MH_ASSIGN_OR_RETURN(auto tail, ReadStoredSamples(chunks, state.info.id, from, last->end_ms));
    for (const Sample& s : tail) {
        if (state.info.kind == store::SeriesKind::kCounter) (void)state.counter.Next(s.value);
        state.prev = s;
    }
    return Ok();
}

}  // namespace mh::tsdb
