// A simulated OpenDTU with its Hoymiles inverters: the HTTP push body of bjoernh's fork and the upstream MQTT
// topics, from sim/solarman_inverter.hpp's daylight model (2 DC inputs per inverter, like an HM-800). No I/O:
// the caller passes the time and sends the result (sim/opendtu_pusher.hpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sim/solarman_inverter.hpp"

namespace mh::sim {

class SimulatedDtu {
  public:
    SimulatedDtu(std::string serial, std::vector<std::string> inverter_serials, std::uint64_t seed);

    const std::string& serial() const { return serial_; }
    const std::vector<std::string>& inverter_serials() const { return serials_; }

    // The readings at `t` (asked for in time order) as the fork's POST /api/opendtu/measurements body.
    std::string PushBody(Timestamp t, const TimeZone& zone);
    // ... or as upstream OpenDTU's MQTT messages (topic, payload) under `base` (e.g. "solar/").
    std::vector<std::pair<std::string, std::string>> Topics(Timestamp t, const TimeZone& zone, const std::string& base);

  private:
    std::string serial_;
    std::vector<std::string> serials_;
    std::vector<SimulatedInverter> inverters_;
};

}  // namespace mh::sim
