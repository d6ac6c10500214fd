#include "core/time_zone.hpp"

#include <gtest/gtest.h>

namespace mh {
namespace {

using namespace std::chrono_literals;

Timestamp Utc(const char* text) {
    std::istringstream in(text);
    date::sys_seconds t;
    in >> date::parse("%FT%TZ", t);
    EXPECT_FALSE(in.fail()) << text;
    return t;
}

TEST(TimeZone, UnknownNameIsAClearError) {
    auto zone = TimeZone::Find("Mars/Olympus");
    ASSERT_FALSE(zone);
    EXPECT_NE(zone.error().message.find("Mars/Olympus"), std::string::npos);
}

TEST(TimeZone, DaysAroundDstAre23And25HoursLong) {
    const auto berlin = *TimeZone::Find("Europe/Berlin");
    const Timestamp spring = Utc("2026-03-29T12:00:00Z");
    EXPECT_EQ(berlin.StartOfNextDay(spring) - berlin.StartOfDay(spring), 23h);
    EXPECT_EQ(berlin.StartOfDay(spring), Utc("2026-03-28T23:00:00Z"));
    const Timestamp autumn = Utc("2026-10-25T12:00:00Z");
    EXPECT_EQ(berlin.StartOfNextDay(autumn) - berlin.StartOfDay(autumn), 25h);
    EXPECT_EQ(berlin.StartOfDay(autumn), Utc("2026-10-24T22:00:00Z"));
}

TEST(TimeZone, LocalDayFollowsTheOffset) {
    const auto tokyo = *TimeZone::Find("Asia/Tokyo");
    // 20:00 UTC is already the next day in Tokyo (UTC+9).
    EXPECT_EQ(tokyo.LocalDay(Utc("2026-06-01T20:00:00Z")), date::local_days{date::year{2026} / 6 / 2});
}

TEST(TimeZone, MidnightThatDoesNotExistStartsAtTheShift) {
    // Santiago moves clocks forward at 24:00 -> 01:00 in September: the day starts at the shift.
    const auto santiago = *TimeZone::Find("America/Santiago");
    const auto start = santiago.StartOf(date::local_days{date::year{2026} / 9 / 6});
    EXPECT_EQ(santiago.Format(start, "%F %H:%M"), "2026-09-06 01:00");
}

TEST(TimeZone, MonthsAndYears) {
    const auto berlin = *TimeZone::Find("Europe/Berlin");
    const Timestamp t = Utc("2026-03-15T10:00:00Z");
    EXPECT_EQ(berlin.StartOfMonth(t), Utc("2026-02-28T23:00:00Z"));
    EXPECT_EQ(berlin.StartOfNextMonth(t), Utc("2026-03-31T22:00:00Z"));  // April is summer time
    EXPECT_EQ(berlin.StartOfYear(t), Utc("2025-12-31T23:00:00Z"));
}

TEST(LocalBucketer, HoursInAHalfHourZoneStartAtHalfPast) {
    LocalBucketer kolkata(*TimeZone::Find("Asia/Kolkata"));         // UTC+5:30
    const std::int64_t ts = ToMillis(Utc("2026-01-01T10:10:00Z"));  // 15:40 local
    EXPECT_EQ(kolkata.HourStartMs(ts), ToMillis(Utc("2026-01-01T09:30:00Z")));
}

TEST(LocalBucketer, MatchesTimeZoneAcrossADstChange) {
    const auto berlin = *TimeZone::Find("Europe/Berlin");
    LocalBucketer bucketer(berlin);
    const std::int64_t begin = ToMillis(Utc("2026-10-24T00:00:00Z"));
    for (std::int64_t ts = begin; ts < begin + 3 * 86'400'000; ts += 7 * 60'000) {
        ASSERT_EQ(bucketer.DayStartMs(ts), ToMillis(berlin.StartOfDay(FromMillis(ts)))) << ts;
        ASSERT_EQ(bucketer.HourStartMs(ts), ToMillis(berlin.StartOfHour(FromMillis(ts)))) << ts;
    }
}

}  // namespace
}  // namespace mh
