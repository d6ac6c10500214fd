// TtlCache: a bounded, sharded map whose entries expire `ttl` after they were put, on the injected Clock.
//
// For in-memory copies of store reads on hot paths (device API keys and series names on ingest): a hit is one
// hash, one shared lock of one shard and one copy of the value. A miss is the caller's to fill with Put.
//
// Expiry: an entry put at t is found while t <= now < t + ttl. An expired entry is a miss at once and its memory
// is reclaimed by the next Put to its shard (or Erase, EraseIf, Clear). If the clock steps back, entries put
// "later" than now count as expired: a step costs store reads, never stale answers.
//
// Bound and eviction: at most `capacity` entries in all. Keys are spread by hash over `shards` shards of
// capacity / shards entries each (fewer shards when capacity is small). A shard keeps its entries in the order
// they were put (putting a present key again moves it to the back); every entry lives for the same ttl, so that
// is also the order they expire in. A Put first drops the expired entries at the front of its shard; if the
// shard is still full it evicts the front entry, the one put longest ago, which would have expired next. FIFO
// rather than LRU on purpose: recording a read would make every Find a writer and cost the shared lock.
//
// Invalidation: Erase, EraseIf and Clear bump generation(). A caller that fills a miss from the store reads
// generation() before the store read and passes it to Put, which then stores nothing if an invalidation came in
// between, so a value read before a revocation cannot be put back after it.
//
// Thread-safety: every member may be called from any thread. Each shard has its own std::shared_mutex: Find and
// Contains take it shared (readers of one shard never wait for each other, only for a writer of that shard);
// Put and Erase take one shard's lock exclusively; EraseIf and Clear take each shard's in turn. Counters are
// relaxed atomics. Values are copied out under the lock: for large values store a std::shared_ptr<const T>.
//
// Ownership: holds a reference to `clock`, which must outlive the cache.
#pragma once

#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/clock.hpp"

namespace mh {

// For std::string keys looked up by std::string_view without building a string.
struct TransparentStringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct TtlCacheStats {
    std::uint64_t hits = 0;       // Finds that returned a value
    std::uint64_t misses = 0;     // Finds that did not (absent or expired)
    std::uint64_t evictions = 0;  // live entries dropped to make room (expired ones do not count)
    std::size_t size = 0;         // entries held now, expired ones not yet reclaimed included
};

template <class Key, class Value, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<>>
class TtlCache {
  public:
    static constexpr std::size_t kDefaultShards = 16;

    // Throws std::invalid_argument unless ttl > 0, capacity > 0 and shards is a power of two (start-up).
    TtlCache(const Clock& clock, Millis ttl, std::size_t capacity, std::size_t shards = kDefaultShards)
        : clock_(clock), ttl_(ttl) {
        if (ttl <= Millis::zero()) throw std::invalid_argument("TtlCache: ttl must be positive");
        if (capacity == 0) throw std::invalid_argument("TtlCache: capacity must be positive");
        if (!std::has_single_bit(shards)) throw std::invalid_argument("TtlCache: shards must be a power of two");
        shard_count_ = std::min(shards, std::bit_floor(capacity));
        shard_bits_ = std::countr_zero(shard_count_);
        per_shard_ = capacity / shard_count_;
        shards_ = std::make_unique<Shard[]>(shard_count_);
    }

    TtlCache(const TtlCache&) = delete;
    TtlCache& operator=(const TtlCache&) = delete;

    // The value of `key` if present and not expired. K is Key, or anything Hash and KeyEqual take (transparent).
    template <class K>
    std::optional<Value> Find(const K& key) const {
        const Shard& shard = ShardFor(key);
        const Timestamp now = clock_.Now();
        {
            std::shared_lock lock(shard.mutex);
            const auto it = shard.index.find(key);
            if (it != shard.index.end() && Fresh(*it->second, now)) {
                shard.hits.fetch_add(1, std::memory_order_relaxed);
                return it->second->value;
            }
        }
        shard.misses.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }

    // Whether Find(key) would return a value now; counts neither a hit nor a miss.
    template <class K>
    bool Contains(const K& key) const {
        const Shard& shard = ShardFor(key);
        const Timestamp now = clock_.Now();
        std::shared_lock lock(shard.mutex);
        const auto it = shard.index.find(key);
        return it != shard.index.end() && Fresh(*it->second, now);
    }

    // Stores `value` for `key` from now for ttl, replacing what was there. With `read_at` (a generation() read
    // before the value was fetched) stores nothing and returns false if an invalidation happened since.
    bool Put(Key key, Value value, std::optional<std::uint64_t> read_at = std::nullopt) {
        Shard& shard = ShardFor(key);
        std::unique_lock lock(shard.mutex);
        // Under the lock, so that an invalidation's bump either precedes this check or its clearing of this
        // shard follows this insert.
        if (read_at && *read_at != generation_.load()) return false;
        // Also under the lock: put times then grow along each shard's list, which DropExpired relies on.
        const Timestamp now = clock_.Now();
        if (const auto it = shard.index.find(key); it != shard.index.end()) {
            it->second->value = std::move(value);
            it->second->put_at = now;
            shard.order.splice(shard.order.end(), shard.order, it->second);
            return true;
        }
        DropExpired(shard, now);
        if (shard.index.size() >= per_shard_) {
            shard.index.erase(shard.order.front().key);
            shard.order.pop_front();
            ++shard.evictions;
        }
        shard.order.push_back(Entry{key, std::move(value), now});
        try {
            shard.index.emplace(std::move(key), std::prev(shard.order.end()));
        } catch (...) {
            shard.order.pop_back();
            throw;
        }
        return true;
    }

    // Removes `key`; true if it was held (expired or not).
    template <class K>
    bool Erase(const K& key) {
        generation_.fetch_add(1);
        Shard& shard = ShardFor(key);
        std::unique_lock lock(shard.mutex);
        const auto it = shard.index.find(key);
        if (it == shard.index.end()) return false;
        shard.order.erase(it->second);
        shard.index.erase(it);
        return true;
    }

    // Removes every entry for which pred(const Key&, const Value&) is true; returns how many. `pred` runs under
    // a shard's exclusive lock: it must be quick and must not call back into the cache.
    template <class Pred>
    std::size_t EraseIf(Pred pred) {
        generation_.fetch_add(1);
        std::size_t erased = 0;
        for (std::size_t i = 0; i < shard_count_; ++i) {
            Shard& shard = shards_[i];
            std::unique_lock lock(shard.mutex);
            for (auto it = shard.order.begin(); it != shard.order.end();) {
                if (pred(std::as_const(it->key), std::as_const(it->value))) {
                    shard.index.erase(it->key);
                    it = shard.order.erase(it);
                    ++erased;
                } else {
                    ++it;
                }
            }
        }
        return erased;
    }

    void Clear() {
        generation_.fetch_add(1);
        for (std::size_t i = 0; i < shard_count_; ++i) {
            Shard& shard = shards_[i];
            std::unique_lock lock(shard.mutex);
            shard.index.clear();
            shard.order.clear();
        }
    }

    // Read before fetching a value to Put (see the header comment).
    std::uint64_t generation() const { return generation_.load(); }

    std::size_t capacity() const { return per_shard_ * shard_count_; }
    Millis ttl() const { return ttl_; }

    TtlCacheStats stats() const {
        TtlCacheStats out;
        for (std::size_t i = 0; i < shard_count_; ++i) {
            const Shard& shard = shards_[i];
            out.hits += shard.hits.load(std::memory_order_relaxed);
            out.misses += shard.misses.load(std::memory_order_relaxed);
            std::shared_lock lock(shard.mutex);
            out.evictions += shard.evictions;
            out.size += shard.index.size();
        }
        return out;
    }

  private:
    struct Entry {
        Key key;
        Value value;
        Timestamp put_at;
    };
    using Order = std::list<Entry>;  // oldest put first; iterators stay valid while their entry lives
    struct alignas(64) Shard {
        mutable std::shared_mutex mutex;
        Order order;
        std::unordered_map<Key, typename Order::iterator, Hash, KeyEqual> index;
        std::uint64_t evictions = 0;  // under the exclusive lock
        mutable std::atomic<std::uint64_t> hits{0};
        mutable std::atomic<std::uint64_t> misses{0};
    };

    bool Fresh(const Entry& entry, Timestamp now) const { return entry.put_at <= now && now - entry.put_at < ttl_; }

    void DropExpired(Shard& shard, Timestamp now) {
        while (!shard.order.empty() && !Fresh(shard.order.front(), now)) {
            shard.index.erase(shard.order.front().key);
            shard.order.pop_front();
        }
    }

    template <class K>
    Shard& ShardFor(const K& key) const {
        if (shard_bits_ == 0) return shards_[0];
        // Fibonacci hashing of the hash's value: std::hash of an integer is the integer itself, whose low bits
        // may all be alike; the product's top bits depend on all of them.
        const auto mixed = static_cast<std::uint64_t>(hash_(key)) * 0x9E3779B97F4A7C15ull;
        return shards_[mixed >> (64 - shard_bits_)];
    }

    const Clock& clock_;
    const Millis ttl_;
    [[no_unique_address]] Hash hash_;
    std::size_t shard_count_ = 1;
    int shard_bits_ = 0;
    std::size_t per_shard_ = 1;
    std::unique_ptr<Shard[]> shards_;
    std::atomic<std::uint64_t> generation_{0};
};

}  // namespace mh
