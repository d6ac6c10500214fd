#include "tsdb/local_engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>

#include "tsdb/checkpoint.hpp"
#include "tsdb/chunk_codec.hpp"

namespace mh::tsdb {

namespace {
// Zero-filled ahead in the open log segment, so that synced appends do not grow the file (SampleLog::Options).
constexpr std::uint64_t kLogPreallocateBytes = 4 << 20;
}  // namespace

struct LocalEngine::CheckpointJob {
    std::uint64_t closed_segment = 0;
    std::vector<SeriesState*> states;
};

LocalEngine::LocalEngine(store::ChunkStore& chunks, const Clock& clock, EngineOptions options)
    : Engine(chunks, clock, std::move(options)) {}

Result<std::unique_ptr<LocalEngine>> LocalEngine::Open(store::ChunkStore& chunks, const Clock& clock,
                                                       EngineOptions options) {
    std::unique_ptr<LocalEngine> engine(new LocalEngine(chunks, clock, std::move(options)));
    MH_RETURN_IF_ERROR(engine->Start());
    return engine;
}

Status LocalEngine::Start() {
    if (!options_.read_only) {
        MH_ASSIGN_OR_RETURN(
            log_, SampleLog::Open(options_.log_dir,
                                  SampleLog::Options{.sync = options_.sync,
                                                     .preallocate_bytes = options_.sync ? kLogPreallocateBytes : 0,
                                                     .env = options_.log_env}));
    }
    // Recovery: everything in the log is acknowledged and not yet in chunks (or written again idempotently).
    Status replay_status = Ok();
    std::unique_lock lock(state_mutex_);
    LogEnv& env = options_.log_env != nullptr ? *options_.log_env : LogEnv::Default();
    auto status = SampleLog::Replay(
        options_.log_dir,
        [&](std::uint64_t, std::span<const SeriesSample> samples) {
            if (!replay_status) return;
            for (const SeriesSample& s : samples) {
                auto info = InfoFor(s.series);
                if (!info) {
                    if (info.error().code != Errc::kNotFound) replay_status = std::move(info).error();
                    continue;  // the series was deleted after the sample was logged
                }
                ApplySample(StateFor(*info), Sample{s.ts_ms, s.value}, rules_);
                ++replayed_samples_;
            }
        },
        env);
    lock.unlock();
    MH_RETURN_IF_ERROR(status);
    MH_RETURN_IF_ERROR(replay_status);
    if (replayed_samples_ > 0) {
        spdlog::log(options_.read_only ? spdlog::level::debug : spdlog::level::info, "replayed {} samples from the log",
                    replayed_samples_);
    }
    last_checkpoint_ms_ = ToMillis(clock_.Now());
    if (!options_.read_only) {
        StartWriter();
        checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
    }
    return Ok();
}

LocalEngine::~LocalEngine() {
    if (auto status = Close(); !status) spdlog::error("closing the time-series engine: {}", status.error().message);
}

SeriesState& LocalEngine::StateFor(const store::SeriesInfo& info) {
    auto it = states_.find(info.id);
    if (it != states_.end()) return *it->second;
    auto state = std::make_unique<SeriesState>(info, ZoneOf(info));
    if (auto status = SeedFromStore(chunks_, *state); !status) {
        spdlog::warn("series {}: could not read its stored tail ({}); its first interval is not counted",
                     info.id.value(), status.error().message);
    }
    return *states_.emplace(info.id, std::move(state)).first->second;
}

void LocalEngine::ApplyBatch(std::span<const SeriesSample> samples) {
    SeriesState* state = nullptr;
    for (const SeriesSample& s : samples) {
        if (state == nullptr || state->info.id != s.series) {
            // Known series first: no info lock and no SeriesInfo copy per sample on the hot path.
            if (auto it = states_.find(s.series); it != states_.end()) {
                state = it->second.get();
            } else {
                auto info = InfoFor(s.series);  // cached by validation
                if (!info) continue;
                state = &StateFor(*info);
            }
        }
        ApplySample(*state, Sample{s.ts_ms, s.value}, rules_);
    }
}

bool LocalEngine::CheckpointDue() {
    std::lock_guard lock(checkpoint_mutex_);
    if (checkpoint_running_) return false;
    if (checkpoint_requested_) return true;
    if (ToMillis(clock_.Now()) - last_checkpoint_ms_ >= options_.checkpoint_interval_ms) return true;
    return static_cast<std::int64_t>(log_->open_segment_bytes()) >= options_.checkpoint_log_bytes;
}

Status LocalEngine::CommitGroup(std::span<const Request>, std::span<const SeriesSample> samples) {
    Status status = log_->Append(samples);
    if (status) {
        std::unique_lock lock(state_mutex_);
        ApplyBatch(samples);
    } else {
        spdlog::error("sample log append failed: {}", status.error().message);
        NoteLogHealth();
    }
    return status;
}

void LocalEngine::AfterGroup() {
    if (CheckpointDue()) FreezeForCheckpoint();
}

Status LocalEngine::Refusal() const {
    return log_failed_.load() ? Health() : Ok();  // refused until reopened: nothing would be durable
}

void LocalEngine::FreezeForCheckpoint() {
    auto job = std::make_unique<CheckpointJob>();
    auto rotated = log_->Rotate();
    if (!rotated) {
        spdlog::error("checkpoint: cannot rotate the log: {}", rotated.error().message);
        NoteLogHealth();
        ++checkpoint_failures_;
        // Counts as a checkpoint that failed, so that Checkpoint() and Close() return the error instead of
        // waiting for one that will not come, and the next attempt waits for the interval, not the next tick.
        std::lock_guard lock(checkpoint_mutex_);
        checkpoint_requested_ = false;
        last_checkpoint_ms_ = ToMillis(clock_.Now());
        last_checkpoint_status_ = std::move(rotated).error();
        ++checkpoints_done_;
        checkpoint_cv_.notify_all();
        return;
    }
    job->closed_segment = *rotated;
    {
        std::unique_lock lock(state_mutex_);
        for (auto& [id, state] : states_) {
            const bool has_deltas =
                std::any_of(state->deltas.begin(), state->deltas.end(), [](const auto& m) { return !m.empty(); });
            if (state->head.empty() && !has_deltas && state->dirty_from == kNoDirt) continue;
            state->frozen.swap(state->head);
            state->frozen_deltas.swap(state->deltas);
            state->frozen_dirty_from = std::exchange(state->dirty_from, kNoDirt);
            job->states.push_back(state.get());
        }
    }
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_requested_ = false;
    checkpoint_running_ = true;
    last_checkpoint_ms_ = ToMillis(clock_.Now());
    checkpoint_job_ = std::move(job);
    checkpoint_cv_.notify_all();
}

void LocalEngine::NoteLogHealth() {
    Status health = log_->Health();
    if (health) return;
    std::lock_guard lock(health_mutex_);
    if (!log_failed_.load()) {
        spdlog::error("the time-series engine refuses writes until restarted: {}", health.error().message);
    }
    log_health_ = std::move(health);
    log_failed_.store(true);
}

Status LocalEngine::Health() const {
    if (!log_failed_.load()) return Ok();
    std::lock_guard lock(health_mutex_);
    return log_health_;
}

void LocalEngine::CheckpointLoop() {
    for (;;) {
        std::unique_ptr<CheckpointJob> job;
        {
            std::unique_lock lock(checkpoint_mutex_);
            checkpoint_cv_.wait(lock, [&] { return checkpoint_job_ != nullptr || closed_; });
            if (checkpoint_job_ == nullptr) return;
            job = std::move(checkpoint_job_);
        }
        Status status = RunCheckpoint(*job);
        if (status) {
            ++checkpoint_count_;
            if (auto dropped = log_->DropThrough(job->closed_segment); !dropped) {
                spdlog::warn("checkpoint: could not delete old log segments: {}", dropped.error().message);
            }
        } else {
            ++checkpoint_failures_;
            spdlog::error("checkpoint failed, samples stay in the log and memory: {}", status.error().message);
            Unfreeze(job->states);
        }
        std::lock_guard lock(checkpoint_mutex_);
        checkpoint_running_ = false;
        ++checkpoints_done_;
        last_checkpoint_status_ = status;
        checkpoint_cv_.notify_all();
    }
}

Status LocalEngine::RunCheckpoint(CheckpointJob& job) {
    store::ChunkWrite write;
    std::vector<std::pair<SeriesState*, LastChunkMeta>> newest;
    std::int64_t samples = 0;
    for (SeriesState* state : job.states) {
        if (!state->last_chunk.known) MH_RETURN_IF_ERROR(LoadLastChunkMeta(chunks_, *state));
        CheckpointPlan plan;
        MH_RETURN_IF_ERROR(PlanSeriesCheckpoint(chunks_, *state, rules_, options_.chunk_samples, plan));
        samples += static_cast<std::int64_t>(state->frozen.size());
        auto& w = plan.write;
        write.deletes.insert(write.deletes.end(), w.deletes.begin(), w.deletes.end());
        std::move(w.chunks.begin(), w.chunks.end(), std::back_inserter(write.chunks));
        write.rollup_resets.insert(write.rollup_resets.end(), w.rollup_resets.begin(), w.rollup_resets.end());
        write.rollups.insert(write.rollups.end(), w.rollups.begin(), w.rollups.end());
        newest.emplace_back(state, plan.last_chunk);
    }
    // Readers hold the shared lock while they read the store, so holding the exclusive lock across COMMIT
    // and the hand-over means no reader sees a sample both in a chunk and in memory.
    std::unique_lock<std::shared_mutex> lock(state_mutex_, std::defer_lock);
    store::CommitHooks hooks{[&] { lock.lock(); },
                             [&](bool committed) {
                                 if (committed) {
                                     for (auto& [state, meta] : newest) {
                                         state->frozen.clear();
                                         state->frozen.shrink_to_fit();
                                         for (auto& m : state->frozen_deltas) m.clear();
                                         state->frozen_dirty_from = kNoDirt;
                                         state->last_chunk = meta;
                                     }
                                 }
                                 lock.unlock();
                             }};
    MH_RETURN_IF_ERROR(chunks_.Write(write, hooks));
    spdlog::debug("checkpoint: {} samples of {} series in {} chunks", samples, job.states.size(), write.chunks.size());
    return Ok();
}

void LocalEngine::Unfreeze(std::span<SeriesState* const> states) {
    std::unique_lock lock(state_mutex_);
    for (SeriesState* state : states) {
        state->head = MergeSamples(state->frozen, state->head);
        state->frozen.clear();
        for (int r = 0; r < kResolutionCount; ++r) {
            for (auto& [bucket, agg] : state->frozen_deltas[r]) state->deltas[r][bucket].Merge(agg);
            state->frozen_deltas[r].clear();
        }
        state->dirty_from = std::min(state->dirty_from, state->frozen_dirty_from);
        state->frozen_dirty_from = kNoDirt;
        state->last_chunk.known = false;
    }
}

Status LocalEngine::Checkpoint() {
    if (options_.read_only) return MakeError(Errc::kFailedPrecondition, "the engine is open read-only");
    std::uint64_t target = 0;
    {
        std::lock_guard lock(checkpoint_mutex_);
        if (closed_) return MakeError(Errc::kUnavailable, "the engine is closed");
        target = checkpoints_done_ + (checkpoint_running_ ? 2 : 1);
        checkpoint_requested_ = true;
    }
    WakeWriter();
    std::unique_lock lock(checkpoint_mutex_);
    checkpoint_cv_.wait(lock, [&] { return checkpoints_done_ >= target || closed_; });
    return last_checkpoint_status_;
}

Status LocalEngine::Close() {
    if (options_.read_only || !writer_running()) return Ok();
    StopWriter();
    Status status;
    {
        std::unique_lock lock(checkpoint_mutex_);
        checkpoint_cv_.wait(lock, [&] { return !checkpoint_running_; });
    }
    if (options_.checkpoint_on_close) {
        // Final checkpoint, so the next start has no log to replay.
        FreezeForCheckpoint();
        std::unique_lock lock(checkpoint_mutex_);
        checkpoint_cv_.wait(lock, [&] { return !checkpoint_running_; });
        status = last_checkpoint_status_;
    }
    {
        std::lock_guard lock(checkpoint_mutex_);
        closed_ = true;
    }
    checkpoint_cv_.notify_all();
    checkpoint_thread_.join();
    return status;
}

Result<std::optional<Sample>> LocalEngine::Latest(const TenantScope& scope, SeriesId series) {
    MH_RETURN_IF_ERROR(Info(scope, series));
    std::shared_lock lock(state_mutex_);
    std::optional<Sample> best;
    auto consider = [&](const Sample& s) {
        if (!best || s.ts_ms >= best->ts_ms) best = s;
    };
    MH_ASSIGN_OR_RETURN(auto last, chunks_.LastChunk(series));
    if (last) {
        std::vector<Sample> decoded;
        MH_RETURN_IF_ERROR(DecodeChunk(last->data, decoded));
        if (!decoded.empty()) consider(decoded.back());
    }
    if (auto it = states_.find(series); it != states_.end()) {
        if (!it->second->frozen.empty()) consider(it->second->frozen.back());
        if (!it->second->head.empty()) consider(it->second->head.back());
    }
    return best;
}

Result<std::vector<Sample>> LocalEngine::ReadRaw(const TenantScope& scope, SeriesId series, std::int64_t from_ms,
                                                 std::int64_t to_ms) {
    MH_RETURN_IF_ERROR(Info(scope, series));
    auto in_range = [&](const std::vector<Sample>& v) {
        auto lo =
            std::lower_bound(v.begin(), v.end(), from_ms, [](const Sample& s, std::int64_t t) { return s.ts_ms < t; });
        auto hi =
            std::upper_bound(v.begin(), v.end(), to_ms, [](std::int64_t t, const Sample& s) { return t < s.ts_ms; });
        return std::span<const Sample>(lo, hi);
    };
    std::shared_lock lock(state_mutex_);
    MH_ASSIGN_OR_RETURN(auto stored, ReadStoredSamples(chunks_, series, from_ms, to_ms));
    auto it = states_.find(series);
    if (it == states_.end()) return stored;
    const SeriesState& state = *it->second;
    if (state.frozen.empty() && state.head.empty()) return stored;
    return MergeSamples(MergeSamples(stored, in_range(state.frozen)), in_range(state.head));
}

Result<std::vector<store::RollupRow>> LocalEngine::ReadRollups(const TenantScope& scope, SeriesId series,
                                                               std::int32_t resolution_s, std::int64_t from_ms,
                                                               std::int64_t to_ms) {
    MH_ASSIGN_OR_RETURN(auto info, Info(scope, series));
    const auto r = std::find(std::begin(kResolutions), std::end(kResolutions), resolution_s) - std::begin(kResolutions);
    if (r >= kResolutionCount) {
        return MakeError(Errc::kInvalidArgument, "no rollups at " + std::to_string(resolution_s) + " s");
    }
    std::shared_lock lock(state_mutex_);
    MH_ASSIGN_OR_RETURN(auto rows, chunks_.ReadRollups(series, resolution_s, from_ms, to_ms));
    auto it = states_.find(series);
    if (it == states_.end()) return rows;
    const SeriesState& state = *it->second;
    std::map<std::int64_t, Aggregate> memory;
    for (const auto* deltas : {&state.frozen_deltas[r], &state.deltas[r]}) {
        for (auto d = deltas->lower_bound(from_ms); d != deltas->end() && d->first < to_ms; ++d) {
            memory[d->first].Merge(d->second);
        }
    }
    lock.unlock();
    return MergeRollups(std::move(rows), memory, series, info.tenant, resolution_s);
}

void LocalEngine::AddStats(EngineStats& s) const {
    s.checkpoints = checkpoint_count_.load();
    s.checkpoint_failures = checkpoint_failures_.load();
    s.replayed_samples = replayed_samples_;
}

}  // namespace mh::tsdb
