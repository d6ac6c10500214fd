#include "core/time_zone.hpp"

#include <algorithm>

namespace mh {

using std::chrono::floor;
using std::chrono::seconds;

Result<TimeZone> TimeZone::Find(std::string_view name) {
    try {
        return TimeZone(date::locate_zone(name));
    } catch (const std::exception&) {
        return MakeError(Errc::kInvalidArgument,
                         "unknown time zone '" + std::string(name) + "' (use an IANA name such as Europe/Berlin)");
    }
}

TimeZone TimeZone::Utc() {
    static const date::time_zone* utc = date::locate_zone("UTC");
    return TimeZone(utc);
}

const std::string& TimeZone::name() const {
    return zone_->name();
}

seconds TimeZone::OffsetAt(Timestamp t) const {
    return zone_->get_info(t).offset;
}

date::local_days TimeZone::LocalDay(Timestamp t) const {
    return floor<date::days>(zone_->to_local(floor<seconds>(t)));
}

Timestamp TimeZone::LocalToUtc(date::local_seconds local) const {
    const date::local_info info = zone_->get_info(local);
    switch (info.result) {
        case date::local_info::unique:
        case date::local_info::ambiguous:  // the earlier of the two instants
            return date::sys_seconds{local.time_since_epoch() - info.first.offset};
        case date::local_info::nonexistent:  // skipped by a forward shift: the shift itself starts it
            return info.first.end;
    }
    return date::sys_seconds{local.time_since_epoch() - info.first.offset};
}

Timestamp TimeZone::StartOf(date::local_days day) const {
    return LocalToUtc(date::local_seconds{day});
}

Timestamp TimeZone::StartOfHour(Timestamp t) const {
    const date::sys_info info = zone_->get_info(t);
    const auto local = floor<std::chrono::hours>(floor<seconds>(t) + info.offset);
    // The local hour may have begun before the last offset change; never report a start before it.
    return std::max<Timestamp>(Timestamp{local - info.offset}, info.begin);
}

Timestamp TimeZone::StartOfMonth(Timestamp t) const {
    const date::year_month_day ymd{LocalDay(t)};
    return StartOf(date::local_days{ymd.year() / ymd.month() / 1});
}

Timestamp TimeZone::StartOfNextMonth(Timestamp t) const {
    const date::year_month_day ymd{LocalDay(t)};
    const date::year_month next = ymd.year() / ymd.month() + date::months{1};
    return StartOf(date::local_days{next / 1});
}

Timestamp TimeZone::StartOfYear(Timestamp t) const {
    const date::year_month_day ymd{LocalDay(t)};
    return StartOf(date::local_days{ymd.year() / 1 / 1});
}

Timestamp TimeZone::StartOfNextYear(Timestamp t) const {
    const date::year_month_day ymd{LocalDay(t)};
    return StartOf(date::local_days{(ymd.year() + date::years{1}) / 1 / 1});
}

std::string TimeZone::Format(Timestamp t, const char* format) const {
    return date::format(format, date::make_zoned(zone_, floor<seconds>(t)));
}

void LocalBucketer::Refresh(std::int64_t ms) {
    const Timestamp t = FromMillis(ms);
    const date::sys_info info = zone_.zone_->get_info(t);
    valid_from_ms_ = ToMillis(info.begin);
    valid_until_ms_ = ToMillis(info.end);
    offset_ms_ = std::chrono::duration_cast<Millis>(info.offset).count();
    day_from_ms_ = ToMillis(zone_.StartOfDay(t));
    day_until_ms_ = ToMillis(zone_.StartOfNextDay(t));
}

std::int64_t LocalBucketer::HourStartMs(std::int64_t ms) {
    if (ms < valid_from_ms_ || ms >= valid_until_ms_) Refresh(ms);
    constexpr std::int64_t kHour = 3'600'000;
    const std::int64_t local = ms + offset_ms_;
    const std::int64_t floored = local - ((local % kHour) + kHour) % kHour;
    return std::max(floored - offset_ms_, valid_from_ms_);
}

std::int64_t LocalBucketer::DayStartMs(std::int64_t ms) {
    if (ms < day_from_ms_ || ms >= day_until_ms_) Refresh(ms);
    return day_from_ms_;
}

}  // namespace mh
