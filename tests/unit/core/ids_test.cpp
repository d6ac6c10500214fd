#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace mh {
namespace {

TEST(IdGenerator, UniqueAndIncreasingWithinOneClockTick) {
    FakeClock clock(FromMillis(1'800'000'000'000));
    IdGenerator ids(clock, 7);
    std::int64_t last = 0;
    for (int i = 0; i < 10'000; ++i) {  // more than the 4096 sequence numbers of one millisecond
        const std::int64_t id = ids.Next();
        EXPECT_GT(id, last);
        last = id;
    }
}

TEST(IdGenerator, SurvivesTheClockGoingBack) {
    FakeClock clock(FromMillis(1'800'000'000'000));
    IdGenerator ids(clock, 1);
    const auto a = ids.Next();
    clock.Advance(Millis(-60'000));
    EXPECT_GT(ids.Next(), a);
}

TEST(IdGenerator, DifferentNodesNeverCollide) {
    FakeClock clock(FromMillis(1'800'000'000'000));
    IdGenerator a(clock, 1);
    IdGenerator b(clock, 2);
    std::set<std::int64_t> seen;
    for (int i = 0; i < 1000; ++i) {
        EXPECT_TRUE(seen.insert(a.Next()).second);
        EXPECT_TRUE(seen.insert(b.Next()).second);
    }
}

TEST(IdGenerator, ThreadSafe) {
    IdGenerator ids(SystemClock::Instance(), 3);
    std::vector<std::int64_t> out[4];
    std::vector<std::thread> threads;
    for (auto& v : out) {
        threads.emplace_back([&] {
            for (int i = 0; i < 5000; ++i) v.push_back(ids.Next());
        });
    }
    for (auto& t : threads) t.join();
    std::set<std::int64_t> all;
    for (auto& v : out) all.insert(v.begin(), v.end());
    EXPECT_EQ(all.size(), 20'000u);
}

TEST(Id, StrongTypesCompare) {
    EXPECT_EQ(SeriesId{5}, SeriesId{5});
    EXPECT_LT(SeriesId{4}, SeriesId{5});
    EXPECT_FALSE(SeriesId{}.valid());
}

}  // namespace
}  // namespace mh
