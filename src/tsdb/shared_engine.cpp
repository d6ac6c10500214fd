#include "tsdb/shared_engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

#include "tsdb/checkpoint.hpp"
#include "tsdb/chunk_codec.hpp"

namespace mh::tsdb {
namespace {

// Series compacted per round: bounds what one round holds in memory. Rounds repeat until none are left, at most
// kMaxRounds in one call, so that a call ends under any ingest; the next run goes on.
constexpr int kCompactionRound = 500;
constexpr int kMaxRounds = 40;

std::vector<Sample> ToSamples(std::span<const store::JournalSample> rows) {
    std::vector<Sample> samples;
    samples.reserve(rows.size());
    for (const auto& row : rows) samples.push_back(Sample{row.ts_ms, row.value});
    return samples;
}

}  // namespace

SharedEngine::SharedEngine(store::ChunkStore& chunks, store::SampleJournal& journal, const Clock& clock,
                           EngineOptions options)
    : Engine(chunks, clock, std::move(options)), journal_(journal) {}

Result<std::unique_ptr<SharedEngine>> SharedEngine::Open(store::ChunkStore& chunks, store::SampleJournal& journal,
                                                         const Clock& clock, EngineOptions options) {
    std::unique_ptr<SharedEngine> engine(new SharedEngine(chunks, journal, clock, std::move(options)));
    if (!engine->options_.read_only) engine->StartWriter();
    return engine;
}

SharedEngine::~SharedEngine() {
    (void)Close();
}

Status SharedEngine::Close() {
    StopWriter();
    return Ok();
}

Status SharedEngine::CommitGroup(std::span<const Request> batch, std::span<const SeriesSample> samples) {
    rows_.clear();
    rows_.reserve(samples.size());
    for (const Request& request : batch) {
        for (const SeriesSample& s : request.samples) rows_.push_back({s.series, request.tenant, s.ts_ms, s.value});
    }
    Status status = journal_.Append(rows_);
    if (!status) spdlog::error("committing {} samples failed: {}", samples.size(), status.error().message);
    std::lock_guard lock(health_mutex_);
    health_ = status;
    return status;
}

Status SharedEngine::Health() const {
    std::lock_guard lock(health_mutex_);
    return health_;
}

void SharedEngine::AddStats(EngineStats& s) const {
    s.checkpoints = compactions_.load();
    s.checkpoint_failures = compaction_failures_.load();
}

Result<SeriesState> SharedEngine::Pending(const store::SeriesInfo& info) {
    SeriesState state(info, ZoneOf(info));
    MH_RETURN_IF_ERROR(SeedFromStore(chunks_, state));
    MH_ASSIGN_OR_RETURN(auto rows, journal_.Read(info.id, std::numeric_limits<std::int64_t>::min(),
                                                 std::numeric_limits<std::int64_t>::max()));
    for (const auto& row : rows) ApplySample(state, Sample{row.ts_ms, row.value}, rules_);
    return state;
}

Result<std::optional<Sample>> SharedEngine::Latest(const TenantScope& scope, SeriesId series) {
    MH_RETURN_IF_ERROR(Info(scope, series));
    std::optional<Sample> best;
    MH_ASSIGN_OR_RETURN(auto last, chunks_.LastChunk(series));
    if (last) {
        std::vector<Sample> decoded;
        MH_RETURN_IF_ERROR(DecodeChunk(last->data, decoded));
        if (!decoded.empty()) best = decoded.back();
    }
    MH_ASSIGN_OR_RETURN(auto newest, journal_.Latest(series));
    if (newest && (!best || newest->ts_ms >= best->ts_ms)) best = Sample{newest->ts_ms, newest->value};
    return best;
}

Result<std::vector<Sample>> SharedEngine::ReadRaw(const TenantScope& scope, SeriesId series, std::int64_t from_ms,
                                                  std::int64_t to_ms) {
    MH_RETURN_IF_ERROR(Info(scope, series));
    // The journal first: a row compacted between the two reads is then found in the chunks.
    MH_ASSIGN_OR_RETURN(auto rows, journal_.Read(series, from_ms, to_ms));
    MH_ASSIGN_OR_RETURN(auto stored, ReadStoredSamples(chunks_, series, from_ms, to_ms));
    if (rows.empty()) return stored;
    return MergeSamples(stored, ToSamples(rows));
}

Result<std::vector<store::RollupRow>> SharedEngine::ReadRollups(const TenantScope& scope, SeriesId series,
                                                                std::int32_t resolution_s, std::int64_t from_ms,
                                                                std::int64_t to_ms) {
    MH_ASSIGN_OR_RETURN(auto info, Info(scope, series));
    const auto r = std::find(std::begin(kResolutions), std::end(kResolutions), resolution_s) - std::begin(kResolutions);
    if (r >= kResolutionCount) {
        return MakeError(Errc::kInvalidArgument, "no rollups at " + std::to_string(resolution_s) + " s");
    }
    MH_ASSIGN_OR_RETURN(SeriesState state, Pending(info));
    MH_ASSIGN_OR_RETURN(auto rows, chunks_.ReadRollups(series, resolution_s, from_ms, to_ms));
    std::map<std::int64_t, Aggregate> memory(state.deltas[r].lower_bound(from_ms), state.deltas[r].lower_bound(to_ms));
    return MergeRollups(std::move(rows), memory, series, info.tenant, resolution_s);
}

Result<store::ChunkWrite> SharedEngine::PlanCompaction(SeriesId series, std::span<const store::JournalSample> rows) {
    auto info = InfoFor(series);
    if (!info) {
        if (info.error().code == Errc::kNotFound) return store::ChunkWrite{};  // deleted: its rows just go
        return std::move(info).error();
    }
    SeriesState state(*info, ZoneOf(*info));
    MH_RETURN_IF_ERROR(SeedFromStore(chunks_, state));
    MH_RETURN_IF_ERROR(LoadLastChunkMeta(chunks_, state));
    for (const auto& row : rows) ApplySample(state, Sample{row.ts_ms, row.value}, rules_);
    state.frozen.swap(state.head);
    state.frozen_deltas.swap(state.deltas);
    state.frozen_dirty_from = std::exchange(state.dirty_from, kNoDirt);
    CheckpointPlan plan;
    MH_RETURN_IF_ERROR(PlanSeriesCheckpoint(chunks_, state, rules_, options_.chunk_samples, plan));
    return std::move(plan.write);
}

Result<CompactionStats> SharedEngine::Compact(std::int64_t before_ms) {
    if (options_.read_only) return MakeError(Errc::kFailedPrecondition, "the engine is open read-only");
    std::lock_guard lock(compact_mutex_);
    CompactionStats done;
    auto failed = [&](Error error) {
        ++compaction_failures_;
        spdlog::error("compaction failed, the samples stay in the journal: {}", error.message);
        return error;
    };
    for (int round = 0; round < kMaxRounds; ++round) {
        auto series = journal_.SeriesToCompact(before_ms, kCompactionRound);
        if (!series) return failed(std::move(series).error());
        for (SeriesId id : *series) {
            auto moved = journal_.Compact(
                id, before_ms, [&](std::span<const store::JournalSample> rows) { return PlanCompaction(id, rows); });
            if (!moved) return failed(std::move(moved).error());
            done.samples += *moved;
            ++done.series;
        }
        if (static_cast<int>(series->size()) < kCompactionRound) break;
    }
    if (auto maintained = journal_.Maintain(ToMillis(clock_.Now())); !maintained) {
        spdlog::warn("journal housekeeping: {}", maintained.error().message);
    }
    ++compactions_;
    if (done.samples > 0) spdlog::debug("compaction: {} samples of {} series", done.samples, done.series);
    return done;
}

Status SharedEngine::Checkpoint() {
    MH_RETURN_IF_ERROR(Compact(std::numeric_limits<std::int64_t>::max()));
    return Ok();
}

}  // namespace mh::tsdb
