#include "ingest/opendtu/mqtt_topics.hpp"

#include <charconv>
#include <cmath>
#include <span>

namespace mh::ingest::opendtu {
namespace {

struct FieldMap {
    std::string_view topic_field;
    std::string_view metric;
    std::string_view unit;
    bool counter;
    double factor;  // to meterhub's unit
};

// Channel 0: the AC side and the inverter as a whole.
constexpr FieldMap kInverterFields[] = {
    {"power", "power_ac", "W", false, 1},
    {"voltage", "grid_voltage", "V", false, 1},
    {"current", "grid_current", "A", false, 1},
    {"frequency", "grid_frequency", "Hz", false, 1},
    {"powerfactor", "power_factor", "", false, 1},
    {"powerdc", "power_dc", "W", false, 1},
    {"reactivepower", "reactive_power", "var", false, 1},
    {"temperature", "temperature", "°C", false, 1},
    {"efficiency", "efficiency", "%", false, 1},
    {"yieldday", "energy_today", "kWh", true, 0.001},
    {"yieldtotal", "energy_total", "kWh", true, 1},
};

// Channels 1..n: the DC inputs. The channel metric is looked up by the second name.
constexpr FieldMap kChannelFields[] = {
    {"power", "power", "W", false, 1},
    {"voltage", "voltage", "V", false, 1},
    {"current", "current", "A", false, 1},
    {"yieldday", "energy_today", "kWh", true, 0.001},
    {"yieldtotal", "energy_total", "kWh", true, 1},
    {"irradiation", "irradiation", "%", false, 1},
};

constexpr FieldMap kStatusFields[] = {
    {"reachable", "reachable", "", false, 1},
    {"producing", "producing", "", false, 1},
    {"limit_relative", "limit_relative", "%", false, 1},
    {"limit_absolute", "limit_absolute", "W", false, 1},
};

std::optional<double> Number(std::string_view text) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
    return value;
}

// Hoymiles serials are 12 hex digits; requiring hex digits keeps dtu/, ac/ and dc/ out.
bool InverterSerial(std::string_view s) {
    if (s.size() < 6 || s.size() > 32) return false;
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
    }
    return true;
}

const FieldMap* Find(std::span<const FieldMap> fields, std::string_view name) {
    for (const FieldMap& f : fields) {
        if (f.topic_field == name) return &f;
    }
    return nullptr;
}

// Splits off the text up to the next '/'.
std::string_view Next(std::string_view& rest) {
    const auto slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    return part;
}

}  // namespace

std::optional<TopicMessage> ParseTopic(std::string_view base, std::string_view topic, std::string_view payload) {
    if (!topic.starts_with(base)) return std::nullopt;
    std::string_view rest = topic.substr(base.size());
    const std::string_view serial = Next(rest);
    if (!InverterSerial(serial)) return std::nullopt;
    const std::string_view group = Next(rest);
    const std::string_view field = Next(rest);
    if (field.empty() || !rest.empty()) return std::nullopt;

    if (group == "device") {
        if (field != "fwbuildversion" || payload.empty() || payload.size() > 64) return std::nullopt;
        return TopicFact{std::string(serial), std::string(payload)};
    }
    const auto value = Number(payload);
    if (!value) return std::nullopt;
    const FieldMap* map = nullptr;
    std::string_view metric;
    if (group == "status") {
        map = Find(kStatusFields, field);
        if (map) metric = map->metric;
    } else if (group == "0") {
        map = Find(kInverterFields, field);
        if (map) metric = map->metric;
    } else if (const auto channel = Number(group);
               channel && *channel >= 1 && *channel <= 64 && *channel == std::floor(*channel)) {  // before the cast
        map = Find(kChannelFields, field);
        if (map) metric = ChannelMetric(static_cast<int>(*channel), map->metric);
    }
    if (!map || metric.empty()) return std::nullopt;
    return TopicReading{std::string(serial), Reading{metric, map->unit, map->counter, *value * map->factor}};
}

}  // namespace mh::ingest::opendtu
