// The demo's sun: the simulated devices of `serve --demo` produce as if they stood where it is early afternoon
// now, so that a fresh install shows moving charts at any hour. (Figures still use the tenant's own zone.)
#pragma once

#include <array>
#include <cstdlib>
#include <string_view>

#include "core/time.hpp"
#include "core/time_zone.hpp"

namespace mh::cli {

inline TimeZone DemoDaylightZone(Timestamp now) {
    static constexpr std::array<std::string_view, 16> kZones = {
        "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Chicago",
        "America/New_York", "America/Sao_Paulo", "Atlantic/Azores",     "Europe/London",
        "Europe/Berlin",    "Europe/Athens",     "Asia/Dubai",          "Asia/Karachi",
        "Asia/Bangkok",     "Asia/Brunei",       "Asia/Tokyo",          "Australia/Sydney"};
    TimeZone best = TimeZone::Utc();
    long best_distance = 24 * 60;
    for (const auto name : kZones) {
        auto zone = TimeZone::Find(name);
        if (!zone) continue;
        const auto local = zone->Format(now, "%H %M");
        const long minutes = std::strtol(local.c_str(), nullptr, 10) * 60 + std::strtol(local.c_str() + 3, nullptr, 10);
        const long distance = std::labs(minutes - 13 * 60);
        if (distance < best_distance) {
            best_distance = distance;
            best = *zone;
        }
    }
    return best;
}

}  // namespace mh::cli
