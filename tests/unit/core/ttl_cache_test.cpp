#include "core/ttl_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.hpp"

namespace mh {
namespace {

const Timestamp kT0 = FromMillis(1'700'000'000'000);
constexpr Millis kTtl{5000};

using IntCache = TtlCache<std::int64_t, std::int64_t>;
using StringCache = TtlCache<std::string, std::string, TransparentStringHash>;

TEST(TtlCache, FindsWhatWasPutUntilTheTtlEnds) {
    FakeClock clock(kT0);
    IntCache cache(clock, kTtl, 100);
    EXPECT_FALSE(cache.Find(1));
    EXPECT_TRUE(cache.Put(1, 10));
    EXPECT_EQ(cache.Find(1), 10);
    EXPECT_TRUE(cache.Contains(1));
    clock.Advance(kTtl - Millis(1));
    EXPECT_EQ(cache.Find(1), 10);
    clock.Advance(Millis(1));  // exactly ttl after the Put
    EXPECT_FALSE(cache.Find(1));
    EXPECT_FALSE(cache.Contains(1));
}

TEST(TtlCache, PuttingAgainReplacesTheValueAndRestartsTheTtl) {
    FakeClock clock(kT0);
    IntCache cache(clock, kTtl, 100);
    cache.Put(1, 10);
    clock.Advance(Millis(4000));
    cache.Put(1, 11);
    clock.Advance(Millis(4000));
    EXPECT_EQ(cache.Find(1), 11);
    clock.Advance(Millis(1000));
    EXPECT_FALSE(cache.Find(1));
}

TEST(TtlCache, AFullCacheEvictsTheEntryPutLongestAgo) {
    FakeClock clock(kT0);
    IntCache cache(clock, kTtl, 3, /*shards=*/1);
    for (std::int64_t key : {1, 2, 3}) {
        cache.Put(key, key * 10);
        clock.Advance(Millis(10));
    }
    cache.Put(4, 40);  // 1 goes
    EXPECT_FALSE(cache.Find(1));
    EXPECT_EQ(cache.Find(2), 20);
    cache.Put(2, 21);  // 2 is now the newest, so 3 is the oldest
    cache.Put(5, 50);
    EXPECT_FALSE(cache.Find(3));
    EXPECT_EQ(cache.Find(2), 21);
    EXPECT_EQ(cache.Find(4), 40);
    EXPECT_EQ(cache.Find(5), 50);
    // Reads do not count as use: FIFO, not LRU.
    cache.Find(4);
    cache.Put(6, 60);
    EXPECT_FALSE(cache.Find(4));
    const TtlCacheStats stats = cache.stats();
    EXPECT_EQ(stats.evictions, 3u);
    EXPECT_EQ(stats.size, 3u);
}

TEST(TtlCache, ExpiredEntriesMakeRoomBeforeALiveOneIsEvicted) {
    FakeClock clock(kT0);
    IntCache cache(clock, kTtl, 2, /*shards=*/1);
    cache.Put(1, 10);
    clock.Advance(Millis(3000));
    cache.Put(2, 20);
    clock.Advance(Millis(2000));  // 1 has expired, 2 has not
    cache.Put(3, 30);
    EXPECT_EQ(cache.Find(2), 20);
    EXPECT_EQ(cache.Find(3), 30);
    EXPECT_EQ(cache.stats().evictions, 0u);
    EXPECT_EQ(cache.stats().size, 2u);
}

TEST(TtlCache, ManyDistinctKeysNeverExceedTheCapacity) {
    FakeClock clock(kT0);
    for (const std::size_t capacity : {1u, 5u, 100u, 1000u}) {
        IntCache cache(clock, kTtl, capacity);
        EXPECT_LE(cache.capacity(), capacity);
        EXPECT_GE(cache.capacity(), capacity / 2);
        for (std::int64_t key = 0; key < 20'000; ++key) cache.Put(key * 7919, key);
        EXPECT_LE(cache.stats().size, capacity);
        EXPECT_EQ(cache.Find(19'999 * 7919), 19'999);  // the newest is always kept
    }
}

TEST(TtlCache, EraseEraseIfAndClearRemoveEntries) {
    FakeClock clock(kT0);
    IntCache cache(clock, kTtl, 100);
    for (std::int64_t key = 0; key < 10; ++key) cache.Put(key, key * 10);
    EXPECT_TRUE(cache.Erase(3));
    EXPECT_FALSE(cache.Erase(3));
    EXPECT_FALSE(cache.Find(3));
    EXPECT_EQ(cache.EraseIf([](std::int64_t key, std::int64_t) { return key % 2 == 0; }), 5u);
    EXPECT_EQ(cache.EraseIf([](std::int64_t, std::int64_t value) { return value == 70; }), 1u);
    EXPECT_EQ(cache.stats().size, 3u);  // 1, 5, 9
    EXPECT_EQ(cache.Find(5), 50);
    cache.Clear();
    EXPECT_EQ(cache.stats().size, 0u);
    EXPECT_FALSE(cache.Find(5));
}

TEST(TtlCache, AValueReadBeforeAnInvalidationIsNotPutBackAfterIt) {
    FakeClock clock(kT0);
    IntCache cache(clock, kTtl, 100);
    // A miss reads the store...
    const std::uint64_t read_at = cache.generation();
    // ...meanwhile the key is revoked and the cache told...
    cache.Clear();
    // ...and the stale value must not be cached.
    EXPECT_FALSE(cache.Put(1, 10, read_at));
    EXPECT_FALSE(cache.Find(1));
    for (const auto invalidate : {+[](IntCache& c) { c.Erase(99); },
                                  +[](IntCache& c) { c.EraseIf([](std::int64_t, std::int64_t) { return false; }); }}) {
        const std::uint64_t before = cache.generation();
        invalidate(cache);
        EXPECT_FALSE(cache.Put(1, 10, before));
    }
    EXPECT_TRUE(cache.Put(1, 10, cache.generation()));
    EXPECT_EQ(cache.Find(1), 10);
}

TEST(TtlCache, AClockThatStepsBackCountsAsExpiry) {
    FakeClock clock(kT0);
    IntCache cache(clock, kTtl, 100);
    cache.Put(1, 10);
    clock.Set(kT0 - Millis(1));
    EXPECT_FALSE(cache.Find(1));  // a store read rather than an entry that might live ttl + the step
    clock.Set(kT0);
    EXPECT_EQ(cache.Find(1), 10);
}

TEST(TtlCache, StringKeysAreFoundByAStringView) {
    FakeClock clock(kT0);
    StringCache cache(clock, kTtl, 100);
    cache.Put("mh_abc", "key");
    const std::string_view prefix = "mh_abcdef";
    EXPECT_EQ(cache.Find(prefix.substr(0, 6)), "key");
    EXPECT_TRUE(cache.Contains(std::string_view("mh_abc")));
    EXPECT_TRUE(cache.Erase(std::string_view("mh_abc")));
}

TEST(TtlCache, CountsHitsAndMisses) {
    FakeClock clock(kT0);
    IntCache cache(clock, kTtl, 100);
    cache.Find(1);
    cache.Put(1, 10);
    cache.Find(1);
    cache.Find(1);
    cache.Contains(1);  // not counted
    clock.Advance(kTtl);
    cache.Find(1);  // expired: a miss
    const TtlCacheStats stats = cache.stats();
    EXPECT_EQ(stats.hits, 2u);
    EXPECT_EQ(stats.misses, 2u);
}

TEST(TtlCache, ConstructorRefusesNonsense) {
    FakeClock clock(kT0);
    EXPECT_THROW(IntCache(clock, Millis(0), 10), std::invalid_argument);
    EXPECT_THROW(IntCache(clock, Millis(-1), 10), std::invalid_argument);
    EXPECT_THROW(IntCache(clock, kTtl, 0), std::invalid_argument);
    EXPECT_THROW(IntCache(clock, kTtl, 10, 3), std::invalid_argument);
    EXPECT_THROW(IntCache(clock, kTtl, 10, 0), std::invalid_argument);
    EXPECT_NO_THROW(IntCache(clock, kTtl, 1, 64));
}

// A smoke test of the locking (meaningful under a sanitizer; here it checks that nothing is lost or mixed up):
// readers and writers of overlapping keys, with erasures and clears, and every value found belongs to its key.
TEST(TtlCache, ConcurrentReadersAndWritersSeeOnlyTheirKeysValues) {
    FakeClock clock(kT0);
    TtlCache<std::int64_t, std::shared_ptr<const std::int64_t>> cache(clock, kTtl, 256);
    std::atomic<bool> wrong{false};
    std::atomic<std::int64_t> hits{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (std::int64_t i = 0; i < 20'000; ++i) {
                const std::int64_t key = (i * 31 + t) % 512;
                if (i % 3 == 0) cache.Put(key, std::make_shared<const std::int64_t>(key * 2), cache.generation());
                if (auto found = cache.Find(key)) {
                    ++hits;
                    if (**found != key * 2) wrong = true;
                }
                if (i % 101 == 0) cache.Erase(key);
                if (t == 0 && i % 5000 == 0) cache.Clear();
                if (t == 1 && i % 1000 == 0) clock.Advance(Millis(100));
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_FALSE(wrong);
    EXPECT_GT(hits.load(), 0);
    EXPECT_LE(cache.stats().size, 256u);
    EXPECT_EQ(cache.stats().hits, static_cast<std::uint64_t>(hits.load()));
}

}  // namespace
}  // namespace mh
