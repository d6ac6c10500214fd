#include "tsdb/counter.hpp"

#include <gtest/gtest.h>

#include <random>

namespace mh::tsdb {
namespace {

double Feed(CounterTracker& t, std::initializer_list<double> readings) {
    double total = 0;
    for (double r : readings) {
        const double rise = t.Next(r);
        EXPECT_GE(rise, 0) << r;
        total += rise;
    }
    return total;
}

TEST(CounterTracker, CountsRises) {
    CounterTracker t;
    EXPECT_DOUBLE_EQ(Feed(t, {10, 10.5, 11, 11}), 1.0);
}

TEST(CounterTracker, DailyCounterResetAtMidnightOrWakeUp) {
    CounterTracker t;
    // Yesterday ended at 20 kWh; today the counter starts again from zero.
    EXPECT_DOUBLE_EQ(Feed(t, {19, 20, 0.1, 0.3, 1.0}), 1 + 1.0);
}

TEST(CounterTracker, ZerosAtNightThenTheSameCounterAgain) {
    CounterTracker t;
    // A logger without time sync never resets its day counter; it reports zeros while the inverter sleeps.
    EXPECT_DOUBLE_EQ(Feed(t, {19, 20, 0, 0, 0, 20.1, 20.5}), 1 + 0.5);
}

TEST(CounterTracker, OneBadReadingIsNotASpike) {
    CounterTracker t;
    EXPECT_DOUBLE_EQ(Feed(t, {100, 101, 3, 102}), 2.0);
}

TEST(CounterTracker, RolloverOfA16BitRegister) {
    CounterTracker t;
    EXPECT_DOUBLE_EQ(Feed(t, {65530, 65535, 4}), 5 + 1 + 4);
}

TEST(CounterTracker, ADailyResetNearAScaledLimitIsNotARollover) {
    CounterTracker t;  // 65.4 kWh yesterday, close to 2^16 * 0.001, then a new day
    EXPECT_NEAR(Feed(t, {65.0, 65.4, 0.1, 0.2}), 0.4 + 0.2, 1e-9);
}

// Property: over random sequences of real use with resets (device restarts, daily counters), single-reading
// glitches and nights of zeros, the tracked total equals the true consumption and no step is negative.
TEST(CounterTracker, RandomResetSequencesNeverGoNegativeOrSpike) {
    std::mt19937_64 random(12345);
    for (int run = 0; run < 500; ++run) {
        CounterTracker tracker;
        double counter = 1000.0 * std::uniform_real_distribution<>(0, 1)(random);
        double truth = 0;
        double tracked = tracker.Next(counter);
        for (int step = 0; step < 400; ++step) {
            const double use = std::uniform_real_distribution<>(0, 2)(random);
            const int event = std::uniform_int_distribution<>(0, 99)(random);
            if (event < 3 && counter > 5) {
                // A reset: the device restarts from zero and has counted `use` since.
                counter = use;
                truth += use;
                const double rise = tracker.Next(counter);
                ASSERT_GE(rise, 0);
                tracked += rise;
                continue;
            }
            if (event < 6) {
                // A glitch: one reading far below the truth, then the truth again.
                const double rise = tracker.Next(std::uniform_real_distribution<>(0, counter * 0.9)(random));
                ASSERT_GE(rise, 0);
                tracked += rise;
            } else if (event < 8) {
                // A night: zeros, then the counter as it was (no reset).
                for (int z = 0; z < 20; ++z) {
                    const double rise = tracker.Next(0);
                    ASSERT_EQ(rise, 0);
                }
            }
            counter += use;
            truth += use;
            const double rise = tracker.Next(counter);
            ASSERT_GE(rise, 0);
            tracked += rise;
            // Never ahead of the truth: a rise may come late (a reset is only sure at the next reading), but
            // never counts energy that was not used.
            ASSERT_LE(tracked, truth + 1e-6 * std::max(1.0, truth)) << "a spike at run " << run << " step " << step;
        }
        // One more reading settles a reset that happened at the very end.
        counter += 0.1;
        truth += 0.1;
        tracked += tracker.Next(counter);
        ASSERT_NEAR(tracked, truth, 1e-6 * std::max(1.0, truth)) << "run " << run;
    }
}

}  // namespace
}  // namespace mh::tsdb
