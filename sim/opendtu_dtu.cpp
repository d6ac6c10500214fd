#include "sim/opendtu_dtu.hpp"

#include <fmt/format.h>

namespace mh::sim {
namespace {

constexpr int kChannels = 2;

std::string Iso(Timestamp t, const TimeZone& zone) {
    return zone.Format(t, "%FT%T%Ez");
}

}  // namespace

SimulatedDtu::SimulatedDtu(std::string serial, std::vector<std::string> inverter_serials, std::uint64_t seed)
    : serial_(std::move(serial)), serials_(std::move(inverter_serials)) {
    for (std::size_t i = 0; i < serials_.size(); ++i) inverters_.emplace_back(PushLayout::kDeyeMicro, seed * 1000 + i);
}

std::string SimulatedDtu::PushBody(Timestamp t, const TimeZone& zone) {
    const auto unix_s = ToMillis(t) / 1000;
    std::string body = fmt::format(R"({{"timestamp":"{}","dtu_serial":"{}","inverters":[)", Iso(t, zone), serial_);
    for (std::size_t i = 0; i < inverters_.size(); ++i) {
        const InverterReading r = inverters_[i].ReadingAt(t, zone);
        const bool producing = r.power_ac_w > 0;
        double dc_power = 0;
        for (int c = 0; c < kChannels; ++c) dc_power += r.mppt[c].power_w;
        body += fmt::format(
            R"({}{{"serial":"{}","name":"Inverter {}","reachable":true,"producing":{},"last_update":{},)"
            R"("measurements":{{"power_ac":{:.1f},"voltage_ac":{:.1f},"current_ac":{:.2f},"frequency":{:.2f},)"
            R"("power_factor":{:.3f},"power_dc":{:.1f}}},"dc_channels":[)",
            i ? "," : "", serials_[i], i + 1, producing, unix_s, r.power_ac_w, r.grid_voltage_v, r.grid_current_a,
            r.grid_frequency_hz, producing ? 0.99 : 0.0, dc_power);
        for (int c = 0; c < kChannels; ++c) {
            const MpptReading& m = r.mppt[c];
            body += fmt::format(
                R"({}{{"channel":{},"name":"PV{}","power":{:.1f},"voltage":{:.1f},"current":{:.2f},)"
                R"("yield_day":{:.0f},"yield_total":{:.3f},"irradiation":{:.3f}}})",
                c ? "," : "", c + 1, c + 1, m.power_w, m.voltage_v, m.current_a, m.energy_today_kwh * 1000,
                m.energy_total_kwh, m.power_w / 4.0);  // % of a 400 Wp string
        }
        body += "]}";
    }
    return body + "]}";
}

std::vector<std::pair<std::string, std::string>> SimulatedDtu::Topics(Timestamp t, const TimeZone& zone,
                                                                       const std::string& base) {
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < inverters_.size(); ++i) {
        const InverterReading r = inverters_[i].ReadingAt(t, zone);
        const std::string prefix = base + serials_[i] + "/";
        auto add = [&](const std::string& topic, double value, int digits) {
            out.emplace_back(prefix + topic, fmt::format("{:.{}f}", value, digits));
        };
        add("0/power", r.power_ac_w, 1);
        add("0/voltage", r.grid_voltage_v, 1);
        add("0/current", r.grid_current_a, 2);
        add("0/frequency", r.grid_frequency_hz, 2);
        add("0/temperature", r.temperature_c, 1);
        add("0/yieldday", r.energy_today_kwh * 1000, 0);
        add("0/yieldtotal", r.energy_total_kwh, 3);
        add("status/reachable", 1, 0);
        add("status/producing", r.power_ac_w > 0 ? 1 : 0, 0);
        for (int c = 0; c < kChannels; ++c) {
            const std::string ch = std::to_string(c + 1) + "/";
            add(ch + "power", r.mppt[c].power_w, 1);
            add(ch + "voltage", r.mppt[c].voltage_v, 1);
            add(ch + "current", r.mppt[c].current_a, 2);
            add(ch + "yieldday", r.mppt[c].energy_today_kwh * 1000, 0);
            add(ch + "yieldtotal", r.mppt[c].energy_total_kwh, 3);
        }
    }
    return out;
}

}  // namespace mh::sim
