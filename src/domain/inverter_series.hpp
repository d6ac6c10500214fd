// Which series of a device carry an inverter's figures: AC power, the device's own energy counters and the DC
// inputs (MPPT channels "dc1." ... "dc16."), whatever the source (Solarman, OpenDTU, generic ingest) — they all
// use these metric names (docs/devices/opendtu.md, docs/devices/deye-solarman.md).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/database.hpp"

namespace mh::domain {

struct ChannelSeries {
    int channel = 0;  // 1-based
    std::map<std::string, SeriesId> by_field;  // "power", "voltage", "current", "energy_today", ...
};

struct InverterSeries {
    store::Device device;
    std::optional<SeriesId> power;         // power_ac, W
    std::optional<SeriesId> energy_today;  // the device's daily counter, kWh
    std::optional<SeriesId> energy_total;  // the device's lifetime counter, kWh
    std::vector<ChannelSeries> channels;   // by channel number
};

// The tenant's inverters: its devices that have an AC power series, by name.
Result<std::vector<InverterSeries>> ListInverters(store::Repositories store, const TenantScope& scope);
// One device's series; kNotFound when it is not the scope's, kFailedPrecondition when it has no power series.
Result<InverterSeries> InverterOf(store::Repositories store, const TenantScope& scope, DeviceId device);

}  // namespace mh::domain
