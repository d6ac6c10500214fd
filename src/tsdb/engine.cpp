#include "tsdb/engine.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <exception>

namespace mh::tsdb {
namespace {

constexpr auto kWriterTick = std::chrono::milliseconds(200);

Error NotFound(SeriesId series) {
    return MakeError(Errc::kNotFound, "series " + std::to_string(series.value()) + " not found");
}

}  // namespace

TimeZone ZoneOf(const store::SeriesInfo& info) {
    auto zone = TimeZone::Find(info.time_zone);
    if (!zone) {
        spdlog::warn("series {}: {}; using UTC", info.id.value(), zone.error().message);
        return TimeZone::Utc();
    }
    return *zone;
}

Engine::Engine(store::ChunkStore& chunks, const Clock& clock, EngineOptions options)
    : chunks_(chunks), clock_(clock), options_(std::move(options)), rules_{options_.gap_cap_ms} {}

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
    if (auto refused = Refusal(); !refused) return done(std::move(refused));
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

void Engine::StartWriter() {
    writer_thread_ = std::thread([this] { WriterLoop(); });
}

void Engine::StopWriter() {
    if (!writer_thread_.joinable()) return;
    {
        std::lock_guard lock(queue_mutex_);
        stopping_ = true;
    }
    queue_cv_.notify_one();
    writer_thread_.join();  // drains the queue first
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
            Status status = CommitGroup(batch, samples);
            {
                std::lock_guard lock(queue_mutex_);
                queued_samples_ -= static_cast<std::int64_t>(samples.size());
            }
            if (status) {
                samples_written_ += static_cast<std::int64_t>(samples.size());
                batches_written_ += static_cast<std::int64_t>(batch.size());
                ++group_commits_;
                NotifyCommitted(batch);
            }
            for (auto& request : batch) request.done(status);
            batch.clear();
        }
        AfterGroup();
    }
}

EngineStats Engine::stats() const {
    EngineStats s;
    s.samples_written = samples_written_.load();
    s.batches_written = batches_written_.load();
    s.log_appends = group_commits_.load();
    {
        std::lock_guard lock(const_cast<std::mutex&>(queue_mutex_));
        s.queued_samples = queued_samples_;
    }
    AddStats(s);
    return s;
}

std::vector<store::RollupRow> MergeRollups(std::vector<store::RollupRow> rows,
                                           const std::map<std::int64_t, Aggregate>& memory, SeriesId series,
                                           TenantId tenant, std::int32_t resolution_s) {
    if (memory.empty()) return rows;
    std::vector<store::RollupRow> merged;
    merged.reserve(rows.size() + memory.size());
    auto m = memory.begin();
    for (const auto& row : rows) {
        for (; m != memory.end() && m->first < row.bucket_ms; ++m) {
            merged.push_back(ToRow(m->second, series, tenant, resolution_s, m->first));
        }
        if (m != memory.end() && m->first == row.bucket_ms) {
            Aggregate a = FromRow(row);
            a.Merge(m->second);
            merged.push_back(ToRow(a, series, tenant, resolution_s, row.bucket_ms));
            ++m;
        } else {
            merged.push_back(row);
        }
    }
    for (; m != memory.end(); ++m) merged.push_back(ToRow(m->second, series, tenant, resolution_s, m->first));
    return merged;
}

}  // namespace mh::tsdb
