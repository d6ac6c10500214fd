// The OpenDTU HTTP push body (POST /api/opendtu/measurements), as bjoernh's OpenDTU fork sends it and the
// predecessor accepted it (../docs/devices/opendtu.md). A pure function from JSON text to a value, or an error
// that names the offending field ("inverters[1].dc_channels[0].voltage: must be a number").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mh::ingest::opendtu {

struct AcReadings {
    double power_ac = 0;      // W
    double voltage_ac = 0;    // V
    double current_ac = 0;    // A
    double frequency = 0;     // Hz
    double power_factor = 0;  // fraction, 0..1
    double power_dc = 0;      // W, the inverter's total DC input
};

// One PV input. Only `channel` and `power` are required; the firmware sends all of them.
struct DcChannel {
    int channel = 0;  // 1-based
    std::string name;
    double power = 0;                      // W
    std::optional<double> voltage;         // V
    std::optional<double> current;         // A
    std::optional<double> yield_day_wh;    // Wh
    std::optional<double> yield_total_kwh; // kWh
    std::optional<double> irradiation;     // % of the configured string power
};

struct PushInverter {
    std::string serial;
    std::string name;
    std::optional<bool> reachable;
    std::optional<bool> producing;
    AcReadings ac;
    std::vector<DcChannel> dc;
};

struct PushPayload {
    std::int64_t ts_ms = 0;
    std::string timestamp;  // as sent, echoed in the answer
    std::string dtu_serial;
    std::vector<PushInverter> inverters;
};

struct PushLimits {
    std::size_t max_inverters = 100;  // an OpenDTU drives at most a few dozen
    std::size_t max_channels = 16;
    std::size_t max_text = 128;
    double max_value = 1e9;
};

Result<PushPayload> ParsePush(std::string_view body, const PushLimits& limits = {});

}  // namespace mh::ingest::opendtu
