// Parsing of user-given times (CLI --from/--to, API from/to): "now", relative ("-24h", "-7d", "-30m"), local dates and times in the
// tenant's zone ("2026-03-29", "2026-03-29T14:00", "2026-03-29 14:00:00"), UTC with a trailing Z, or Unix milliseconds (all digits).
#pragma once

#include <string_view>

#include "core/result.hpp"
#include "core/time_zone.hpp"

namespace mh {

Result<Timestamp> ParseTimeArg(std::string_view text, const TimeZone& zone, Timestamp now);

// RFC 3339 with a zone ("Z" or "+02:00"), fractional seconds allowed, to Unix milliseconds.
Result<std::int64_t> ParseRfc3339(std::string_view text);

}  // namespace mh
