// Simulated devices: plausible readings for the demo, the tests and the benchmarks.
#pragma once

#include <cstdint>
#include <random>

#include "core/time_zone.hpp"

namespace mh::sim {

// A solar inverter's AC power: a bell curve between local 06:00 and 20:00 peaking at `rated_w` around
// 13:00, with cloud noise, rounded to 0.1 W as inverters report it.
class SolarInverter {
  public:
    SolarInverter(double rated_w, std::uint64_t seed) : rated_w_(rated_w), random_(seed) {}
    double PowerAt(Timestamp t, const TimeZone& zone);

  private:
    double rated_w_;
    std::mt19937_64 random_;
};

}  // namespace mh::sim
