#include "tsdb/engine.hpp"

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

struct Engine::CheckpointJob {
    std::uint64_t closed_segment = 0;
    std::vector<SeriesState*> states;
};

namespace {

constexpr auto kWriterTick = std::chrono::milliseconds(200);

TimeZone ZoneOf(const store::SeriesInfo& info) {
    auto zone = TimeZone::Find(info.time_zone);
    if (!zone) {
        spdlog::warn("series {}: {}; using UTC", info.id.value(), zone.error().message);
        return TimeZone::Utc();
    }
    return *zone;
}

Error NotFound(SeriesId series) {
    return MakeError(Errc::kNotFound, "series " + std::to_string(series.value()) + " not found");
}

}  // namespace

Engine::Engine(store::ChunkStore& chunks, const Clock& clock, EngineOptions options)
    : chunks_(chunks), clock_(clock), options_(std::move(options)), rules_{options_.gap_cap_ms} {}

Result<std::unique_ptr<Engine>> Engine::Open(store::ChunkStore& chunks, const Clock& clock, EngineOptions options) {
    std::unique_ptr<Engine> engine(new Engine(chunks, clock, std::move(options)));
    MH_RETURN_IF_ERROR(engine->Start());
    return engine;
}

Status Engine::Start() {
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
        writer_thread_ = std::thread([this] { WriterLoop(); });
        checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
    }
    return Ok();
}

Engine::~Engine() {
    if (auto status = Close(); !status) spdlog::error("closing the time-series engine: {}", status.error().message);
}

Result<store::SeriesInfo> Engine::InfoFor(SeriesId series) {
    {
        std::shared_lock lock(info_mutex_);
        if (auto it = infos_.find(series); it != infos_.end()) return it->second;
    }
    MH_ASSIGN_OR_RETURN(auto info, chunks_.LookupSeries(series));
    if (!info) return NotFound(series);
    std::unique_lock lock(info_mutex_);
    return infos_.emplace(series, std::move(*info)).first->second;
}

void Engine::ForgetSeries(std::span<const SeriesId> series) {
    std::unique_lock lock(info_mutex_);
    for (SeriesId id : series) infos_.erase(id);
}

Result<store::SeriesInfo> Engine::Info(const TenantScope& scope, SeriesId series) {
    MH_ASSIGN_OR_RETURN(auto info, InfoFor(series));
    if (info.tenant != scope.tenant()) return NotFound(series);  // not 403: existence must not leak
    return info;
}

SeriesState& Engine::StateFor(const store::SeriesInfo& info) {
    auto it = states_.find(info.id);
    if (it != states_.end()) return *it->second;
    auto state = std::make_unique<SeriesState>(info, ZoneOf(info));
    if (auto status = SeedFromStore(*state); !status) {
        spdlog::warn("series {}: could not read its stored tail ({}); its first interval is not counted",
                     info.id.value(), status.error().message);
    }
    return *states_.emplace(info.id, std::move(state)).first->second;
}

// Carries the counter and the interval's left end over from what is stored, so that a restart neither loses
// nor invents energy. A day of history rebuilds an undecided counter drop (zeros at night).
Status Engine::SeedFromStore(SeriesState& state) {
    MH_ASSIGN_OR_RETURN(auto last, chunks_.LastChunk(state.info.id));
    if (!last) return Ok();
    constexpr std::int64_t kDayMs = 86'400'000;
    const std::int64_t from = state.info.kind == store::SeriesKind::kCounter ? last->end_ms - kDayMs : last->end_ms;
    MH_ASSIGN_OR_RETURN(auto tail, ReadStoredSamples(chunks_, state.info.id, from, last->end_ms));
    for (const Sample& s : tail) {
        if (state.info.kind == store::SeriesKind::kCounter) (void)state.counter.Next(s.value);
        state.prev = s;
    }
    return Ok();
}

Status Engine::Validate(const TenantScope& scope, std::span<const SeriesSample> samples) {
    const std::int64_t latest = ToMillis(clock_.Now()) + options_.max_future_ms;
    std::vector<SeriesId> unknown;
    {
        std::shared_lock lock(info_mutex_);
        SeriesId checked;
        for (std::size_t i = 0; i < samples.size(); ++i) {
            const SeriesSample& s = samples[i];
            if (!std::isfinite(s.value)) {
                return MakeError(Errc::kInvalidArgument,
                                 "sample " + std::to_string(i) + ": value is not a finite number");
            }
            if (s.ts_ms < kEarliestTimestampMs) {
                return MakeError(Errc::kInvalidArgument, "sample " + std::to_string(i) + ": timestamp " +
                                                             std::to_string(s.ts_ms) + " is before 2000-01-01");
            }
            if (s.ts_ms > latest) {
                return MakeError(Errc::kInvalidArgument, "sample " + std::to_string(i) + ": timestamp " +
                                                             FormatUtc(FromMillis(s.ts_ms)) + " is in the future");
            }
            if (s.series == checked) continue;
            auto it = infos_.find(s.series);
            if (it == infos_.end()) {
                unknown.push_back(s.series);
            } else if (it->second.tenant != scope.tenant()) {
                return NotFound(s.series);
            } else {
                checked = s.series;
            }
        }
    }
    for (SeriesId series : unknown) MH_RETURN_IF_ERROR(Info(scope, series));
    return Ok();
}

Status Engine::Write(const TenantScope& scope, std::span<const SeriesSample> samples) {
    std::mutex mutex;
    std::condition_variable cv;
    std::optional<Status> result;
    WriteAsync(scope, std::vector<SeriesSample>(samples.begin(), samples.end()), [&](Status status) {
        std::lock_guard lock(mutex);
        result = std::move(status);
        cv.notify_one();
    });
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return result.has_value(); });
    return std::move(*result);
}

void Engine::WriteAsync(const TenantScope& scope, std::vector<SeriesSample> samples, Done done) {
    if (options_.read_only) return done(MakeError(Errc::kFailedPrecondition, "the engine is open read-only"));
    if (!scope.CanWrite()) return done(MakeError(Errc::kPermissionDenied, "viewers cannot write samples"));
    if (samples.empty()) return done(Ok());
    if (log_failed_.load()) return done(Health());  // refused until reopened: nothing would be durable
    if (auto status = Validate(scope, samples); !status) return done(std::move(status));
    const auto n = static_cast<std::int64_t>(samples.size());
    {
        std::lock_guard lock(queue_mutex_);
        if (stopping_) return done(MakeError(Errc::kUnavailable, "shutting down"));
        if (queued_samples_ + n > options_.max_queue_samples) {
            return done(MakeError(Errc::kResourceExhausted, "ingest queue is full (" + std::to_string(queued_samples_) +
                                                                " samples waiting); retry later"));
        }
        queued_samples_ += n;
        queue_.push_back(Request{scope.tenant(), std::move(samples), std::move(done)});
    }
    queue_cv_.notify_one();
}

void Engine::SetCommitListener(CommitListener listener) {
    commit_listener_ = std::move(listener);
}

// A listener that throws must not take the writer thread (and every later write) down with it.
void Engine::NotifyCommitted(std::span<const Request> batch) {
    if (!commit_listener_) return;
    for (const Request& request : batch) {
        try {
            commit_listener_(request.tenant, request.samples);
        } catch (const std::exception& e) {
            spdlog::error("the commit listener failed: {}", e.what());
        } catch (...) {
            spdlog::error("the commit listener failed");
        }
    }
}

void Engine::ApplyBatch(std::span<const SeriesSample> samples) {
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

bool Engine::CheckpointDue() {
    std::lock_guard lock(checkpoint_mutex_);
    if (checkpoint_running_) return false;
    if (checkpoint_requested_) return true;
    if (ToMillis(clock_.Now()) - last_checkpoint_ms_ >= options_.checkpoint_interval_ms) return true;
    return static_cast<std::int64_t>(log_->open_segment_bytes()) >= options_.checkpoint_log_bytes;
}

void Engine::WriterLoop() {
    std::vector<Request> batch;
    std::vector<SeriesSample> group;
    for (;;) {
        {
            std::unique_lock lock(queue_mutex_);
            queue_cv_.wait_for(lock, kWriterTick, [&] { return !queue_.empty() || stopping_; });
            batch.swap(queue_);
            if (batch.empty() && stopping_) break;
        }
        if (!batch.empty()) {
            std::span<const SeriesSample> samples;
            if (batch.size() == 1) {
                samples = batch.front().samples;
            } else {
                group.clear();
                for (const auto& request : batch)
                    group.insert(group.end(), request.samples.begin(), request.samples.end());
                samples = group;
            }
            Status status = log_->Append(samples);
            if (status) {
                std::unique_lock lock(state_mutex_);
                ApplyBatch(samples);
            } else {
                spdlog::error("sample log append failed: {}", status.error().message);
                NoteLogHealth();
            }
            {
                std::lock_guard lock(queue_mutex_);
                queued_samples_ -= static_cast<std::int64_t>(samples.size());
            }
            if (status) {
                samples_written_ += static_cast<std::int64_t>(samples.size());
                batches_written_ += static_cast<std::int64_t>(batch.size());
                ++log_appends_;
            }
            if (status) NotifyCommitted(batch);
            for (auto& request : batch) request.done(status);
            batch.clear();
        }
        if (CheckpointDue()) FreezeForCheckpoint();
    }
}

void Engine::FreezeForCheckpoint() {
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

void Engine::NoteLogHealth() {
    Status health = log_->Health();
    if (health) return;
    std::lock_guard lock(health_mutex_);
    if (!log_failed_.load()) {
        spdlog::error("the time-series engine refuses writes until restarted: {}", health.error().message);
    }
    log_health_ = std::move(health);
    log_failed_.store(true);
}

Status Engine::Health() const {
    if (!log_failed_.load()) return Ok();
    std::lock_guard lock(health_mutex_);
    return log_health_;
}

void Engine::CheckpointLoop() {
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

Status Engine::RunCheckpoint(CheckpointJob& job) {
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

void Engine::Unfreeze(std::span<SeriesState* const> states) {
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

Status Engine::Checkpoint() {
    if (options_.read_only) return MakeError(Errc::kFailedPrecondition, "the engine is open read-only");
    std::uint64_t target = 0;
    {
        std::lock_guard lock(checkpoint_mutex_);
        if (closed_) return MakeError(Errc::kUnavailable, "the engine is closed");
        target = checkpoints_done_ + (checkpoint_running_ ? 2 : 1);
        checkpoint_requested_ = true;
    }
    queue_cv_.notify_one();
    std::unique_lock lock(checkpoint_mutex_);
    checkpoint_cv_.wait(lock, [&] { return checkpoints_done_ >= target || closed_; });
    return last_checkpoint_status_;
}

Status Engine::Close() {
    if (options_.read_only || !writer_thread_.joinable()) return Ok();
    {
        std::lock_guard lock(queue_mutex_);
        stopping_ = true;
    }
    queue_cv_.notify_one();
    writer_thread_.join();  // drains the queue first
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

Result<std::optional<Sample>> Engine::Latest(const TenantScope& scope, SeriesId series) {
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

Result<std::vector<Sample>> Engine::ReadRaw(const TenantScope& scope, SeriesId series, std::int64_t from_ms,
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

Result<std::vector<store::RollupRow>> Engine::ReadRollups(const TenantScope& scope, SeriesId series,
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
    if (memory.empty()) return rows;
    std::vector<store::RollupRow> merged;
    merged.reserve(rows.size() + memory.size());
    auto m = memory.begin();
    for (const auto& row : rows) {
        for (; m != memory.end() && m->first < row.bucket_ms; ++m) {
            merged.push_back(ToRow(m->second, series, info.tenant, resolution_s, m->first));
        }
        if (m != memory.end() && m->first == row.bucket_ms) {
            Aggregate a = FromRow(row);
            a.Merge(m->second);
            merged.push_back(ToRow(a, series, info.tenant, resolution_s, row.bucket_ms));
            ++m;
        } else {
            merged.push_back(row);
        }
    }
    for (; m != memory.end(); ++m) merged.push_back(ToRow(m->second, series, info.tenant, resolution_s, m->first));
    return merged;
}

EngineStats Engine::stats() const {
    EngineStats s;
    s.samples_written = samples_written_.load();
    s.batches_written = batches_written_.load();
    s.log_appends = log_appends_.load();
    s.checkpoints = checkpoint_count_.load();
    s.checkpoint_failures = checkpoint_failures_.load();
    s.replayed_samples = replayed_samples_;
    {
        std::lock_guard lock(const_cast<std::mutex&>(queue_mutex_));
        s.queued_samples = queued_samples_;
    }
    return s;
}

}  // namespace mh::tsdb
