#include "domain/inverter_series.hpp"

#include <algorithm>
#include <charconv>

namespace mh::domain {
namespace {

// "dc2.voltage" -> (2, "voltage").
std::optional<std::pair<int, std::string>> ChannelMetric(const std::string& metric) {
    if (!metric.starts_with("dc")) return std::nullopt;
    const auto dot = metric.find('.');
    if (dot == std::string::npos || dot == 2) return std::nullopt;
    int channel = 0;
    const auto [end, ec] = std::from_chars(metric.data() + 2, metric.data() + dot, channel);
    if (ec != std::errc() || end != metric.data() + dot || channel < 1 || channel > 64) return std::nullopt;
    return std::pair{channel, metric.substr(dot + 1)};
}

void Assign(InverterSeries& inverter, const store::Series& s) {
    if (s.metric == "power_ac") {
        inverter.power = s.id;
    } else if (s.metric == "energy_today") {
        inverter.energy_today = s.id;
    } else if (s.metric == "energy_total") {
        inverter.energy_total = s.id;
    } else if (auto channel = ChannelMetric(s.metric)) {
        auto it = std::find_if(inverter.channels.begin(), inverter.channels.end(),
                               [&](const ChannelSeries& c) { return c.channel == channel->first; });
        if (it == inverter.channels.end()) {
            it = inverter.channels.insert(inverter.channels.end(), ChannelSeries{channel->first, {}});
        }
        it->by_field[channel->second] = s.id;
    }
}

void SortChannels(InverterSeries& inverter) {
    std::sort(inverter.channels.begin(), inverter.channels.end(),
              [](const ChannelSeries& a, const ChannelSeries& b) { return a.channel < b.channel; });
}

}  // namespace

Result<std::vector<InverterSeries>> ListInverters(store::Repositories store, const TenantScope& scope) {
    MH_ASSIGN_OR_RETURN(auto devices, store.devices().ListDevices(scope));
    MH_ASSIGN_OR_RETURN(auto series, store.devices().ListSeries(scope, std::nullopt));
    std::map<DeviceId, InverterSeries> by_device;
    for (const auto& s : series) {
        auto [it, fresh] = by_device.try_emplace(s.device);
        Assign(it->second, s);
    }
    std::vector<InverterSeries> out;
    for (auto& d : devices) {  // already by name
        auto it = by_device.find(d.id);
        if (it == by_device.end() || !it->second.power) continue;
        it->second.device = std::move(d);
        SortChannels(it->second);
        out.push_back(std::move(it->second));
    }
    return out;
}

Result<InverterSeries> InverterOf(store::Repositories store, const TenantScope& scope, DeviceId device) {
    InverterSeries inverter;
    MH_ASSIGN_OR_RETURN(inverter.device, store.devices().GetDevice(scope, device));
    MH_ASSIGN_OR_RETURN(auto series, store.devices().ListSeries(scope, device));
    for (const auto& s : series) Assign(inverter, s);
    if (!inverter.power) {
        return MakeError(Errc::kFailedPrecondition, "device '" + inverter.device.name + "' has no power_ac series yet");
    }
    SortChannels(inverter);
    return inverter;
}

}  // namespace mh::domain
