#include "domain/rate_limiter.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <stdexcept>

namespace mh::domain {
namespace {

// Sixteen shards keep four request threads from queueing on one lock. Small limiters use one shard, so that
// the bound is split into shares big enough for "evict the oldest" to mean roughly the oldest overall.
constexpr std::size_t kShards = 16;
constexpr std::size_t kMinKeysPerShard = 64;
// Expired windows dropped per Take, besides the one a new key may evict: enough to shed idle keys faster
// than new ones arrive, small enough to keep every Take cheap.
constexpr std::size_t kDropsPerTake = 2;

std::size_t ShardCount(std::size_t max_keys) {
    return max_keys >= kShards * kMinKeysPerShard ? kShards : 1;
}

}  // namespace

RateLimiter::RateLimiter(const Clock& clock, std::int64_t limit, std::chrono::seconds window, std::size_t max_keys)
    : clock_(clock), limit_(limit), window_(window), shards_(ShardCount(max_keys)) {
    if (limit <= 0) throw std::invalid_argument("rate limit must be positive");
    if (window <= std::chrono::seconds::zero()) throw std::invalid_argument("rate limit window must be positive");
    if (max_keys == 0) throw std::invalid_argument("rate limiter max_keys must be positive");
    keys_per_shard_ = max_keys / shards_.size();  // rounds down: all shards together never exceed max_keys
}

void RateLimiter::DropExpired(Shard& shard, Timestamp now, std::size_t at_most) const {
    while (at_most-- > 0 && !shard.windows.empty() && shard.windows.front().start + window_ <= now) {
        shard.index.erase(shard.windows.front().key);
        shard.windows.pop_front();
    }
}

RateLimiter::Decision RateLimiter::Take(std::string_view key, std::int64_t cost) {
    cost = std::max<std::int64_t>(cost, 0);
    Shard& shard = shards_[std::hash<std::string_view>{}(key) % shards_.size()];
    std::lock_guard lock(shard.mutex);
    const Timestamp now = clock_.Now();
    DropExpired(shard, now, kDropsPerTake);

    Window* window = nullptr;
    if (const auto found = shard.index.find(key); found != shard.index.end()) {
        window = &*found->second;
        if (window->start + window_ <= now) {  // ended: start again, now the newest
            window->start = now;
            window->used = 0;
            shard.windows.splice(shard.windows.end(), shard.windows, found->second);
        }
    } else {
        if (shard.index.size() >= keys_per_shard_) {
            shard.index.erase(shard.windows.front().key);  // expired or not, the first to start
            shard.windows.pop_front();
        }
        window = &shard.windows.emplace_back(Window{std::string(key), now, 0});
        shard.index.emplace(window->key, std::prev(shard.windows.end()));
    }

    const std::int64_t until_reset_ms = ToMillis(window->start + window_) - ToMillis(now);
    Decision decision;
    decision.limit = limit_;
    decision.reset_s = std::max<std::int64_t>((until_reset_ms + 999) / 1000, 1);
    if (cost <= limit_ - window->used) {
        window->used += cost;
        decision.allowed = true;
    } else {
        decision.retry_after_s = decision.reset_s;
    }
    decision.remaining = limit_ - window->used;
    return decision;
}

std::size_t RateLimiter::Size() const {
    std::size_t size = 0;
    for (const Shard& shard : shards_) {
        std::lock_guard lock(shard.mutex);
        size += shard.index.size();
    }
    return size;
}

}  // namespace mh::domain
