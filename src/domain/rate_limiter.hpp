// RateLimiter: counts requests per key (a client address, a user, an API key prefix) in fixed windows.
//
// Fixed window, started by a key's first request: a key may spend `limit` units in `window`; the window
// restarts with the first request after it ends. Chosen over a sliding window because the numbers it returns
// are exact and mean what the X-RateLimit-Limit/Remaining/Reset and Retry-After headers say; the price is
// that a client may spend up to 2 * limit across the end of one window and the start of the next. Windows
// start per key, not on a shared clock boundary, so clients do not all retry at the same instant.
//
// Memory is bounded: at most `max_keys` windows are kept, split evenly over the shards. Each Take drops a
// few expired windows of its shard; a new key arriving at a full shard evicts the window there that started
// first, which is an expired one if there is any. Under a flood of distinct keys an evicted key starts again
// with a fresh window: the bound wins over exactness.
//
// Ownership: holds a reference to `clock`, which must outlive the limiter. Thread-safety: Take and Size may be
// called from any thread; keys are spread over mutex-guarded shards, and a Take is one hash, one lock, one
// lookup (plus one small allocation for a new key).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"

namespace mh::domain {

class RateLimiter {
  public:
    // Throws std::invalid_argument unless limit > 0, window > 0 and max_keys > 0 (start-up configuration).
    RateLimiter(const Clock& clock, std::int64_t limit, std::chrono::seconds window, std::size_t max_keys = 100000);

    RateLimiter(const RateLimiter&) = delete;
    RateLimiter& operator=(const RateLimiter&) = delete;

    struct Decision {
        bool allowed = false;
        std::int64_t limit = 0;          // X-RateLimit-Limit
        std::int64_t remaining = 0;      // X-RateLimit-Remaining: units left in this window after this Take
        std::int64_t reset_s = 0;        // X-RateLimit-Reset: whole seconds (rounded up, >= 1) until the window ends
        std::int64_t retry_after_s = 0;  // Retry-After when !allowed (= reset_s), else 0
    };

    // Spends `cost` units of `key`'s window if that many are left; a refused Take spends nothing. A cost above
    // `limit` is never allowed; a negative cost counts as 0, which only reports the state.
    Decision Take(std::string_view key, std::int64_t cost = 1);

    // The number of keys whose windows are kept, for metrics and tests.
    std::size_t Size() const;

  private:
    struct Window {
        std::string key;
        Timestamp start;
        std::int64_t used = 0;
    };
    // Windows in order of start: the clock is read under the shard's lock, so new and restarted windows join
    // the back in time order (if the system clock steps back, eviction order is briefly a little off, no more).
    // The index's keys are views into the list's nodes, which never move.
    struct alignas(64) Shard {
        mutable std::mutex mutex;
        std::list<Window> windows;
        std::unordered_map<std::string_view, std::list<Window>::iterator> index;
    };

    void DropExpired(Shard& shard, Timestamp now, std::size_t at_most) const;

    const Clock& clock_;
    const std::int64_t limit_;
    const Millis window_;
    std::size_t keys_per_shard_ = 1;
    std::vector<Shard> shards_;
};

}  // namespace mh::domain
