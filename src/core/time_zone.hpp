// TimeZone: a tenant's IANA zone, for everything that depends on the local calendar ("today", hourly and
// daily rollups, energy per month). DST-correct: a local day is 23, 24 or 25 hours long, and local
// midnights that do not exist (zones that switch at 00:00) start the day at the transition instant.
//
// Backed by the system tz database through Howard Hinnant's date/tz. Copyable, cheap (a pointer).
// Thread-safe for concurrent use.
#pragma once

#include <date/tz.h>

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"

namespace mh {

class TimeZone {
  public:
    static Result<TimeZone> Find(std::string_view name);
    static TimeZone Utc();

    const std::string& name() const;

    std::chrono::seconds OffsetAt(Timestamp t) const;

    // The local calendar day that contains `t`.
    date::local_days LocalDay(Timestamp t) const;
    // The UTC instant at which local day `day` begins.
    Timestamp StartOf(date::local_days day) const;

    Timestamp StartOfDay(Timestamp t) const { return StartOf(LocalDay(t)); }
    Timestamp StartOfNextDay(Timestamp t) const { return StartOf(LocalDay(t) + date::days{1}); }
    Timestamp StartOfHour(Timestamp t) const;
    Timestamp StartOfMonth(Timestamp t) const;
    Timestamp StartOfNextMonth(Timestamp t) const;
    Timestamp StartOfYear(Timestamp t) const;
    Timestamp StartOfNextYear(Timestamp t) const;

    // Local time as text, e.g. "2026-03-29 03:00:00 CEST".
    std::string Format(Timestamp t, const char* format = "%F %T %Z") const;

  private:
    friend class LocalBucketer;
    explicit TimeZone(const date::time_zone* zone) : zone_(zone) {}
    Timestamp LocalToUtc(date::local_seconds local) const;

    const date::time_zone* zone_;
};

// Maps instants to the start of their local hour and local day, caching the offset period that the last
// instant fell in, so that bucketing samples in time order costs a comparison, not a tz lookup.
// Not thread-safe: one per thread or per series.
class LocalBucketer {
  public:
    explicit LocalBucketer(TimeZone zone) : zone_(std::move(zone)) {}
    const TimeZone& zone() const { return zone_; }
    std::int64_t HourStartMs(std::int64_t ms);
    std::int64_t DayStartMs(std::int64_t ms);

  private:
    void Refresh(std::int64_t ms);

    TimeZone zone_;
    std::int64_t valid_from_ms_ = 1;  // empty range: forces a refresh on first use
    std::int64_t valid_until_ms_ = 0;
    std::int64_t offset_ms_ = 0;
    std::int64_t day_from_ms_ = 1;
    std::int64_t day_until_ms_ = 0;
};

}  // namespace mh
