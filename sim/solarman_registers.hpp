// Register images for simulated pull-mode Solarman loggers (sim/solarman_logger.hpp): what an inverter's Modbus
// registers hold, built from values by field name through a register FieldMap (EncodeRegisters), from one moment's
// readings (TypicalReadings), or from a simulated solar inverter at a given time (SimulatedRegisters). Pure: no
// sockets, no clock reads.
//
// Thread-safety: plain functions over values; SimulatedRegisters advances the SolarInverter it is given, which must
// not be shared between threads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"
#include "core/time_zone.hpp"
#include "ingest/solarman/field_map.hpp"
#include "sim/solar.hpp"

namespace mh::sim {

// Register address -> value. Registers not listed read as 0.
using RegisterImage = std::map<std::uint16_t, std::uint16_t>;

// The image in which `map` reads `values` (numeric fields, by name: raw = round((value - bias) / scale)) and
// `texts` (ascii fields, NUL padded). Fields given no value read as raw 0; products are not stored.
// Errc::kInvalidArgument for a map that is not a register map, an unknown name, a value whose raw form does
// not fit the field's type, or text for a field that is not ascii.
Result<RegisterImage> EncodeRegisters(const ingest::solarman::FieldMap& map,
                                      const std::map<std::string, double>& values,
                                      const std::map<std::string, std::string>& texts = {});

// What an inverter reports at one moment, from which TypicalReadings derives every field.
struct InverterSnapshot {
    double rated_w = 800;
    double power_ac_w = 0;
    double energy_today_kwh = 0;
    double energy_total_kwh = 1000;
};

// Plausible values for the fields of the built-in register maps (names as in builtin_maps.cpp): grid at
// 230 V / 50 Hz, DC inputs sharing the power at module voltage (micro) or string voltage, temperature rising
// with load, a battery at 76 % for hybrids. Names it does not know are left out (they read as 0).
std::map<std::string, double> TypicalReadings(const ingest::solarman::FieldMap& map, const InverterSnapshot& snapshot);

// The register image of a simulated inverter at `t`: power from `inverter` (sim/solar.hpp), today's energy the
// integral of the same day curve so far, a fixed lifetime total before it, and `inverter_serial` in an
// "inverter_serial" field if the map has one.
Result<RegisterImage> SimulatedRegisters(const ingest::solarman::FieldMap& map, SolarInverter& inverter, double rated_w,
                                         Timestamp t, const TimeZone& zone, std::string_view inverter_serial);

}  // namespace mh::sim
