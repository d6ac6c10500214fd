// Simulated Solarman push inverters: the layout profiles and the readings over time. See the header for the
// contracts.
#include "sim/solarman_inverter.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <ratio>

namespace mh::sim {

namespace {

// Deye SUN-M80G3 class micro inverter behind an MW3 logger. The hello carries no sensor type: the server reads
// 0x5406 from the firmware name, while data frames say 0x5408 ("schema" byte 0x08: micro inverter).
constexpr LayoutProfile kDeyeMicroProfile{
    .map_name = "deye_micro_push",
    .data_sensor_type = 0x5408,
    .hello_sensor_type = 0x0000,
    .logger_firmware = "MW3_16U_5406_1.57",
    .collector_firmware = "V1.1.00.07",
    .payload_size = 251,
    .mppt_count = 2,
    .rated_power_w = 800.0,
};
// TSUN TSOL-MS2000 behind an LSW5 logger; 409 payload bytes as in tsun-gen3-proxy's capture (the map reads 285).
constexpr LayoutProfile kSensor02B0Profile{
    .map_name = "sensor_02b0_push",
    .data_sensor_type = 0x02B0,
    .hello_sensor_type = 0x02B0,
    .logger_firmware = "LSW5BLE_17_02B0_1.05",
    .collector_firmware = "V1.1.00.0B",
    .payload_size = 409,
    .mppt_count = 4,
    .rated_power_w = 2000.0,
};

// How the DC power divides over the inputs (panels differ in orientation and shading).
constexpr std::array<double, 4> kInputShares = {0.30, 0.27, 0.24, 0.19};

// Input i's part of the DC power and energy, among the inputs the layout uses.
double InputShare(const LayoutProfile& profile, std::size_t i) {
    double sum = 0.0;
    for (std::size_t k = 0; k < profile.mppt_count; ++k) sum += kInputShares[k];
    return kInputShares[i] / sum;
}

// Installations differ: the peak reaches 80..100 % of the rating.
double PeakPower(const LayoutProfile& profile, std::uint64_t seed) {
    std::mt19937_64 random(seed ^ 0x9E3779B97F4A7C15ULL);
    return profile.rated_power_w * std::uniform_real_distribution<double>(0.8, 1.0)(random);
}

}  // namespace

std::string_view PushLayoutName(PushLayout layout) noexcept {
    switch (layout) {
        case PushLayout::kDeyeMicro: return "deye_micro";
        case PushLayout::kSensor02B0: return "sensor_02b0";
    }
    return "unknown";
}

std::optional<PushLayout> ParsePushLayout(std::string_view name) noexcept {
    if (name == "deye_micro") return PushLayout::kDeyeMicro;
    if (name == "sensor_02b0") return PushLayout::kSensor02B0;
    return std::nullopt;
}

const LayoutProfile& ProfileOf(PushLayout layout) noexcept {
    return layout == PushLayout::kSensor02B0 ? kSensor02B0Profile : kDeyeMicroProfile;
}

SimulatedInverter::SimulatedInverter(PushLayout layout, std::uint64_t seed)
    : profile_(ProfileOf(layout)), solar_(PeakPower(profile_, seed), seed), random_(seed) {
    // A few months of yield already behind it, divided over the inputs like the power.
    energy_total_kwh_ = std::uniform_real_distribution<double>(100.0, 1000.0)(random_);
    for (std::size_t i = 0; i < profile_.mppt_count; ++i)
        dc_total_kwh_[i] = energy_total_kwh_ * InputShare(profile_, i);
}

InverterReading SimulatedInverter::ReadingAt(Timestamp t, const TimeZone& zone) {
    const double power = solar_.PowerAt(t, zone);
    if (last_ && t > *last_) {
        if (zone.LocalDay(t) != zone.LocalDay(*last_)) {
            energy_today_kwh_ = 0.0;
            dc_today_kwh_ = {};
        }
        // The rectangle rule over the interval is as good as a real inverter's own integration at 5 minutes.
        const double hours = std::chrono::duration<double, std::ratio<3600>>(t - *last_).count();
        const double kwh = power * hours / 1000.0;
        energy_today_kwh_ += kwh;
        energy_total_kwh_ += kwh;
        for (std::size_t i = 0; i < profile_.mppt_count; ++i) {
            dc_today_kwh_[i] += kwh * InputShare(profile_, i);
            dc_total_kwh_[i] += kwh * InputShare(profile_, i);
        }
    }
    if (!last_ || t > *last_) last_ = t;

    std::normal_distribution<double> noise(0.0, 1.0);
    InverterReading r;
    r.power_ac_w = power;
    r.energy_today_kwh = energy_today_kwh_;
    r.energy_total_kwh = energy_total_kwh_;
    r.grid_voltage_v = 230.0 + 1.5 * noise(random_);
    r.grid_frequency_hz = 50.0 + 0.02 * noise(random_);
    r.grid_current_a = power / r.grid_voltage_v;
    r.temperature_c = 15.0 + 35.0 * power / profile_.rated_power_w + 0.5 * noise(random_);
    const double dc_power = power / 0.95;  // conversion losses
    for (std::size_t i = 0; i < profile_.mppt_count; ++i) {
        MpptReading& m = r.mppt[i];
        m.power_w = dc_power * InputShare(profile_, i);
        if (m.power_w > 0.0) {
            // A 400 W panel sits near its MPP voltage (~31 V) from low light up, a little higher in full sun.
            m.voltage_v = 30.0 + 6.0 * std::min(1.0, m.power_w / 400.0) + 0.3 * noise(random_);
            m.current_a = m.power_w / m.voltage_v;
        }
        m.energy_today_kwh = dc_today_kwh_[i];
        m.energy_total_kwh = dc_total_kwh_[i];
    }
    return r;
}

}  // namespace mh::sim
