#include "core/clock.hpp"

#include <gtest/gtest.h>

namespace mh {
namespace {

TEST(FakeClock, MovesOnlyWhenTold) {
    FakeClock clock(FromMillis(1'700'000'000'000));
    EXPECT_EQ(ToMillis(clock.Now()), 1'700'000'000'000);
    clock.Advance(Millis(1500));
    EXPECT_EQ(ToMillis(clock.Now()), 1'700'000'001'500);
    clock.Set(FromMillis(5));
    EXPECT_EQ(ToMillis(clock.Now()), 5);
}

TEST(SystemClock, IsAfter2024) {
    EXPECT_GT(ToMillis(SystemClock::Instance().Now()), 1'704'067'200'000);
}

TEST(FormatUtc, IsIso8601WithMilliseconds) {
    EXPECT_EQ(FormatUtc(FromMillis(1'700'000'000'123)), "2023-11-14T22:13:20.123Z");
}

}  // namespace
}  // namespace mh
