// Definitions for data.hpp, on a splitmix64 hash of (series, timestamp).
#include "data.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "support.hpp"

namespace mh::bench {
namespace {

std::uint64_t Mix(std::uint64_t x) {  // splitmix64's finaliser
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

double Unit(std::uint64_t h) {
    return static_cast<double>(h >> 11) * 0x1.0p-53;
}  // [0, 1)

}  // namespace

double PowerCurve(std::size_t series_index, std::int64_t ts_ms) {
    const std::int64_t in_day = ((ts_ms % kDayMs) + kDayMs) % kDayMs;
    const double hour = static_cast<double>(in_day) / static_cast<double>(kHourMs);
    if (hour <= 6.0 || hour >= 20.0) return 0.0;
    const double bell = std::pow(std::sin(std::numbers::pi * (hour - 6.0) / 14.0), 2.0);
    const double day_of_year = static_cast<double>(((ts_ms - kT0) / kDayMs) % 365);
    const double season = 0.65 + 0.35 * std::cos(2.0 * std::numbers::pi * (day_of_year - 172.0) / 365.0);
    const double peak = 2500.0 + 2500.0 * Unit(Mix(series_index * 7919 + 1));
    const double noise =
        1.0 +
        0.02 *
            (2.0 * Unit(Mix(static_cast<std::uint64_t>(series_index) ^ static_cast<std::uint64_t>(ts_ms) * 31)) - 1.0);
    const double watts = std::clamp(peak * season * bell * noise, 0.0, 5000.0);
    return std::round(watts * 10.0) / 10.0;
}

double RandomValue(std::size_t series_index, std::int64_t ts_ms) {
    return 5000.0 * Unit(Mix(Mix(series_index + 1) ^ static_cast<std::uint64_t>(ts_ms)));
}

}  // namespace mh::bench
