// Parsing of --from/--to values: "now", relative ("-24h", "-7d", "-30m"), local dates and times in the
// tenant's zone ("2026-03-29", "2026-03-29T14:00", "2026-03-29 14:00:00"), or UTC with a trailing Z.
#pragma once

#include <string_view>

#include "core/result.hpp"
#include "core/time_zone.hpp"

namespace mh::cli {

Result<Timestamp> ParseTimeArg(std::string_view text, const TimeZone& zone, Timestamp now);

}  // namespace mh::cli
