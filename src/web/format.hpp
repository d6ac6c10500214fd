// How figures read on a page, in the user's language: "1.25 kW" / "1,25 kW", "12.3 kWh", "5 s ago".
#pragma once

#include <cstdint>
#include <string>

#include "core/time.hpp"
#include "core/time_zone.hpp"
#include "web/catalog.hpp"

namespace mh::web {

// A number with `decimals` places and the language's decimal separator.
std::string FormatNumber(double value, int decimals, const Catalog& texts);
// Watts as W below 1 kW, else kW (or MW) with two places.
std::string FormatPower(double watts, const Catalog& texts);
std::string FormatEnergy(double kwh, const Catalog& texts);
// "12 s ago", "5 min ago", "3 h ago", "2 d ago".
std::string FormatAge(std::int64_t seconds, const Catalog& texts);
// Local wall-clock time "HH:MM" in the zone.
std::string FormatClock(std::int64_t ts_ms, const TimeZone& zone);

}  // namespace mh::web
