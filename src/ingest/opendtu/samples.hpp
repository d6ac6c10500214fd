// What an OpenDTU inverter reading becomes in meterhub: named values with their unit and kind, the same names
// for the push and the MQTT paths (docs/devices/opendtu.md, "Series"). Energies are stored in kWh, as measured
// (Wh / 1000, no rounding).
#pragma once

#include <string_view>
#include <vector>

#include "ingest/opendtu/push_payload.hpp"

namespace mh::ingest::opendtu {

struct Reading {
    std::string_view metric;  // static storage
    std::string_view unit;
    bool counter = false;
    double value = 0;
};

// The metric of DC input `channel` (1-based, up to 16) and field ("power", "voltage", "current", "energy_today",
// "energy_total", "irradiation"), e.g. "dc2.voltage"; empty when out of range.
std::string_view ChannelMetric(int channel, std::string_view field);

// Every value of the inverter: AC side, status flags, per-channel DC values, and the inverter's energy as the
// sum of its channels (when it has any).
std::vector<Reading> ReadingsOf(const PushInverter& inverter);

}  // namespace mh::ingest::opendtu
