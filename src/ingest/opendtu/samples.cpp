#include "ingest/opendtu/samples.hpp"

#include <array>
#include <string>

namespace mh::ingest::opendtu {
namespace {

constexpr int kMaxChannel = 16;
constexpr std::array<std::string_view, 6> kChannelFields = {"power",        "voltage",      "current",
                                                            "energy_today", "energy_total", "irradiation"};

// "dc1.power" ... "dc16.irradiation", built once so that readings can point at them.
const std::array<std::array<std::string, kChannelFields.size()>, kMaxChannel>& ChannelMetrics() {
    static const auto table = [] {
        std::array<std::array<std::string, kChannelFields.size()>, kMaxChannel> t;
        for (int ch = 1; ch <= kMaxChannel; ++ch) {
            for (std::size_t f = 0; f < kChannelFields.size(); ++f) {
                t[ch - 1][f] = "dc" + std::to_string(ch) + "." + std::string(kChannelFields[f]);
            }
        }
        return t;
    }();
    return table;
}

}  // namespace

std::string_view ChannelMetric(int channel, std::string_view field) {
    if (channel < 1 || channel > kMaxChannel) return {};
    for (std::size_t f = 0; f < kChannelFields.size(); ++f) {
        if (kChannelFields[f] == field) return ChannelMetrics()[channel - 1][f];
    }
    return {};
}

std::vector<Reading> ReadingsOf(const PushInverter& inv) {
    std::vector<Reading> out;
    out.reserve(10 + inv.dc.size() * kChannelFields.size());
    out.push_back({"power_ac", "W", false, inv.ac.power_ac});
    out.push_back({"grid_voltage", "V", false, inv.ac.voltage_ac});
    out.push_back({"grid_current", "A", false, inv.ac.current_ac});
    out.push_back({"grid_frequency", "Hz", false, inv.ac.frequency});
    out.push_back({"power_factor", "", false, inv.ac.power_factor});
    out.push_back({"power_dc", "W", false, inv.ac.power_dc});
    if (inv.reachable) out.push_back({"reachable", "", false, *inv.reachable ? 1.0 : 0.0});
    if (inv.producing) out.push_back({"producing", "", false, *inv.producing ? 1.0 : 0.0});

    double day_wh = 0, total_kwh = 0;
    bool any_day = false, any_total = false;
    for (const DcChannel& ch : inv.dc) {
        auto add = [&](std::string_view field, std::string_view unit, bool counter, double value) {
            out.push_back({ChannelMetric(ch.channel, field), unit, counter, value});
        };
        add("power", "W", false, ch.power);
        if (ch.voltage) add("voltage", "V", false, *ch.voltage);
        if (ch.current) add("current", "A", false, *ch.current);
        if (ch.yield_day_wh) {
            add("energy_today", "kWh", true, *ch.yield_day_wh / 1000.0);
            day_wh += *ch.yield_day_wh;
            any_day = true;
        }
        if (ch.yield_total_kwh) {
            add("energy_total", "kWh", true, *ch.yield_total_kwh);
            total_kwh += *ch.yield_total_kwh;
            any_total = true;
        }
        if (ch.irradiation) add("irradiation", "%", false, *ch.irradiation);
    }
    if (any_day) out.push_back({"energy_today", "kWh", true, day_wh / 1000.0});
    if (any_total) out.push_back({"energy_total", "kWh", true, total_kwh});
    return out;
}

}  // namespace mh::ingest::opendtu
