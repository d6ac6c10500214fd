// What a simulated Solarman push logger's inverter reports: the push layouts a simulated logger can speak
// (PushLayout) with the fixed facts of the devices behind them (LayoutProfile), one set of measurements
// (InverterReading), and an inverter that produces them over time from sim/solar.hpp's daylight curve
// (SimulatedInverter). No sockets, no clock reads: the caller passes the time. sim/solarman_frames.hpp encodes
// the readings into data frames.
//
// Thread-safety: SimulatedInverter is a plain value, one per logger, not shared; the profiles are constants.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include "core/time.hpp"
#include "core/time_zone.hpp"
#include "sim/solar.hpp"

namespace mh::sim {

// The push layouts a simulated logger can speak; each is one built-in map of src/ingest/solarman.
enum class PushLayout {
    kDeyeMicro,   // "deye_micro": sensor type 0x5408, map deye_micro_push, 2 inputs, 251-byte payload
    kSensor02B0,  // "sensor_02b0": sensor type 0x02B0 (TSUN TSOL-MS), map sensor_02b0_push, 4 inputs, 409 bytes
};

std::string_view PushLayoutName(PushLayout layout) noexcept;
std::optional<PushLayout> ParsePushLayout(std::string_view name) noexcept;

// The fixed facts of a layout: what the real devices send that is not a measurement.
struct LayoutProfile {
    std::string_view map_name;            // built-in FieldMap the server decodes the data payload with
    std::uint16_t data_sensor_type;       // data payload bytes 1..2
    std::uint16_t hello_sensor_type;      // hello payload 84..85; 0: the server reads it from the firmware name
    std::string_view logger_firmware;     // hello payload 19, e.g. "MW3_16U_5406_1.57"
    std::string_view collector_firmware;  // hello payload 89
    std::uint32_t payload_size;           // data payload bytes (what the devices send, not what the map needs)
    std::size_t mppt_count;               // DC inputs with panels
    double rated_power_w;
};
const LayoutProfile& ProfileOf(PushLayout layout) noexcept;

struct MpptReading {
    double voltage_v = 0.0;
    double current_a = 0.0;
    double power_w = 0.0;  // deye_micro does not carry it: the server computes voltage * current
    double energy_today_kwh = 0.0;
    double energy_total_kwh = 0.0;
};

// One set of measurements, in the units the field maps report. Inputs beyond `mppt` are sent as zeros.
struct InverterReading {
    double power_ac_w = 0.0;
    double energy_today_kwh = 0.0;
    double energy_total_kwh = 0.0;  // both maps treat a raw 0 as "no reading"
    double grid_voltage_v = 230.0;
    double grid_current_a = 0.0;
    double grid_frequency_hz = 50.0;
    double temperature_c = 20.0;
    std::array<MpptReading, 4> mppt{};
};

// A logger's inverter over time: AC power from SolarInverter's daylight curve, split over the layout's inputs,
// grid values with a little noise, energy counters integrated from the power (today's resets at local
// midnight in `zone`). Readings must be asked for in time order; an earlier time does not integrate.
class SimulatedInverter {
  public:
    // `seed` varies the peak power (80..100 % of the layout's rating), the noise and the starting total.
    SimulatedInverter(PushLayout layout, std::uint64_t seed);
    InverterReading ReadingAt(Timestamp t, const TimeZone& zone);

  private:
    const LayoutProfile& profile_;
    SolarInverter solar_;
    std::mt19937_64 random_;
    std::optional<Timestamp> last_;
    double energy_today_kwh_ = 0.0;
    double energy_total_kwh_;
    std::array<double, 4> dc_today_kwh_{};
    std::array<double, 4> dc_total_kwh_{};
};

}  // namespace mh::sim
