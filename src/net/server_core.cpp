#include "net/server_core.hpp"

#include <algorithm>

namespace mh::net::detail {

bool SessionRegistry::Add(SessionControl* key, std::weak_ptr<SessionControl> session) {
    std::lock_guard lock(mutex_);
    sessions_.emplace(key, std::move(session));
    return !stopping_;
}

void SessionRegistry::Remove(SessionControl* key) {
    std::lock_guard lock(mutex_);
    sessions_.erase(key);
    if (sessions_.empty()) emptied_.notify_all();
}

std::vector<std::shared_ptr<SessionControl>> SessionRegistry::BeginStop() {
    std::lock_guard lock(mutex_);
    // Under the same lock as the snapshot: a session is either in it or learns from Add() that it is too late.
    stopping_ = true;
    return LiveLocked();
}

std::vector<std::shared_ptr<SessionControl>> SessionRegistry::Live() {
    std::lock_guard lock(mutex_);
    return LiveLocked();
}

std::vector<std::shared_ptr<SessionControl>> SessionRegistry::LiveLocked() const {
    std::vector<std::shared_ptr<SessionControl>> live;
    live.reserve(sessions_.size());
    for (const auto& [key, weak] : sessions_) {
        if (auto session = weak.lock()) live.push_back(std::move(session));
    }
    return live;
}

bool SessionRegistry::WaitUntilEmpty(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return emptied_.wait_until(lock, deadline, [this] { return sessions_.empty(); });
}

void StatsCounters::RecordResponse(int status, std::chrono::steady_clock::duration latency) noexcept {
    constexpr auto kRelaxed = std::memory_order_relaxed;
    requests_.fetch_add(1, kRelaxed);
    const int status_class = std::clamp(status / 100, 1, 5);
    by_class_[static_cast<std::size_t>(status_class - 1)].fetch_add(1, kRelaxed);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
    const auto& bounds = ServerStats::kLatencyBoundsMicros;
    const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), micros) - bounds.begin();
    latency_[static_cast<std::size_t>(bucket)].fetch_add(1, kRelaxed);
}

void StatsCounters::RecordInterim() noexcept {
    by_class_[0].fetch_add(1, std::memory_order_relaxed);
}

ServerStats StatsCounters::Snapshot() const noexcept {
    constexpr auto kRelaxed = std::memory_order_relaxed;
    ServerStats stats;
    stats.connections_accepted = accepted.load(kRelaxed);
    stats.connections_rejected = rejected.load(kRelaxed);
    stats.open_connections = open_connections.load(kRelaxed);
    stats.requests = requests_.load(kRelaxed);
    stats.timeouts = timeouts.load(kRelaxed);
    for (std::size_t i = 0; i < by_class_.size(); ++i) stats.responses_by_class[i] = by_class_[i].load(kRelaxed);
    for (std::size_t i = 0; i < latency_.size(); ++i) stats.latency[i] = latency_[i].load(kRelaxed);
    return stats;
}

}  // namespace mh::net::detail
