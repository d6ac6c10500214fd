// Time values used everywhere: UTC instants with millisecond resolution.
//
// Samples, log records and chunks store the same instant as a count of milliseconds since the Unix epoch
// (`ToMillis`), which is what the wire formats and the database hold.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace mh {

using Millis = std::chrono::milliseconds;
using Timestamp = std::chrono::sys_time<Millis>;

constexpr std::int64_t ToMillis(Timestamp t) noexcept {
    return t.time_since_epoch().count();
}
constexpr Timestamp FromMillis(std::int64_t ms) noexcept {
    return Timestamp{Millis{ms}};
}

// ISO 8601 in UTC with millisecond precision, e.g. "2026-03-29T01:00:00.000Z".
std::string FormatUtc(Timestamp t);

}  // namespace mh
