// Register images: the register encoder and the typical and simulated readings. See the header for the contracts.
#include "sim/solarman_registers.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <ratio>
#include <span>
#include <utility>
#include <vector>

namespace mh::sim {

namespace sm = ingest::solarman;

namespace {

Error BadImage(const std::string& what) {
    return MakeError(Errc::kInvalidArgument, "solarman register image: " + what);
}

// Writes `bytes` from register `reg` on: byte 2k is the high byte of register reg+k, as DecodeRegisters reads.
void PutBytes(RegisterImage& image, std::uint32_t reg, std::span<const std::uint8_t> bytes) {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        std::uint16_t& value = image[static_cast<std::uint16_t>(reg + i / 2)];
        value = i % 2 == 0 ? static_cast<std::uint16_t>((value & 0x00FF) | (bytes[i] << 8))
                           : static_cast<std::uint16_t>((value & 0xFF00) | bytes[i]);
    }
}

// The wire bytes of a numeric field holding `raw`, or an error if it does not fit.
Result<std::vector<std::uint8_t>> NumericBytes(const sm::FieldSpec& field, double raw) {
    using enum sm::ValueType;
    const sm::ValueType t = field.type;
    const bool is_signed = t == kS16Le || t == kS16Be || t == kS32Le || t == kS32Be || t == kS32LowWordFirst;
    const std::uint32_t size = sm::WireSize(t, 0);
    const double bits = 8.0 * size;
    const double low = is_signed ? -std::exp2(bits - 1) : 0.0;
    const double high = is_signed ? std::exp2(bits - 1) - 1 : std::exp2(bits) - 1;
    if (!(raw >= low && raw <= high)) {
        return BadImage("field \"" + field.name + "\": raw value " + std::to_string(raw) + " does not fit " +
                        std::string(sm::ValueTypeName(t)));
    }
    const auto v = static_cast<std::uint32_t>(static_cast<std::int64_t>(raw));
    const auto byte = [v](int i) { return static_cast<std::uint8_t>(v >> (8 * i)); };
    switch (t) {
        case kU8: return std::vector<std::uint8_t>{byte(0)};
        case kU16Le:
        case kS16Le: return std::vector<std::uint8_t>{byte(0), byte(1)};
        case kU16Be:
        case kS16Be: return std::vector<std::uint8_t>{byte(1), byte(0)};
        case kU32Le:
        case kS32Le: return std::vector<std::uint8_t>{byte(0), byte(1), byte(2), byte(3)};
        case kU32Be:
        case kS32Be: return std::vector<std::uint8_t>{byte(3), byte(2), byte(1), byte(0)};
        case kU32LowWordFirst:
        case kS32LowWordFirst: return std::vector<std::uint8_t>{byte(1), byte(0), byte(3), byte(2)};
        default: return BadImage("field \"" + field.name + "\" is not numeric");
    }
}

const sm::FieldSpec* FindField(const sm::FieldMap& map, std::string_view name) {
    for (const sm::FieldSpec& field : map.fields) {
        if (field.name == name) return &field;
    }
    return nullptr;
}

}  // namespace

Result<RegisterImage> EncodeRegisters(const sm::FieldMap& map, const std::map<std::string, double>& values,
                                      const std::map<std::string, std::string>& texts) {
    if (map.layout != sm::MapLayout::kHoldingRegisters) return BadImage("\"" + map.name + "\" is not a register map");
    RegisterImage image;
    for (const auto& [name, value] : values) {
        const sm::FieldSpec* field = FindField(map, name);
        if (field == nullptr) return BadImage("\"" + map.name + "\" has no field \"" + name + "\"");
        if (field->type == sm::ValueType::kProduct || !sm::IsNumeric(field->type)) {
            return BadImage("field \"" + name + "\" has no numeric register of its own");
        }
        const double raw = std::round((value - field->bias) / field->scale);
        auto bytes = NumericBytes(*field, raw);
        if (!bytes) return std::move(bytes).error();
        PutBytes(image, field->offset, *bytes);
    }
    for (const auto& [name, text] : texts) {
        const sm::FieldSpec* field = FindField(map, name);
        if (field == nullptr) return BadImage("\"" + map.name + "\" has no field \"" + name + "\"");
        if (field->type != sm::ValueType::kAscii) return BadImage("field \"" + name + "\" is not ascii");
        if (text.size() > field->length) {
            return BadImage("field \"" + name + "\" holds " + std::to_string(field->length) + " characters");
        }
        std::vector<std::uint8_t> bytes(text.begin(), text.end());
        bytes.resize(field->length, 0);
        PutBytes(image, field->offset, bytes);
    }
    return image;
}

std::map<std::string, double> TypicalReadings(const sm::FieldMap& map, const InverterSnapshot& snapshot) {
    std::map<std::string, double> values;
    const auto has = [&](const std::string& name) {
        const sm::FieldSpec* field = FindField(map, name);
        return field != nullptr && field->type != sm::ValueType::kProduct && sm::IsNumeric(field->type);
    };
    const auto set = [&](const std::string& name, double value) {
        if (has(name)) values[name] = value;
    };
    int inputs = 0;
    while (inputs < 4 &&
           (has("dc" + std::to_string(inputs + 1) + ".voltage") || has("dc" + std::to_string(inputs + 1) + ".power"))) {
        ++inputs;
    }
    const double power = snapshot.power_ac_w;
    const double power_dc = power / 0.96;  // inverter efficiency
    const int phases = has("grid_l3_voltage") ? 3 : 1;
    const bool producing = power > 0;

    set("running_status", producing ? 2 : 0);  // normal / standby
    set("uptime", 480);
    set("energy_today", snapshot.energy_today_kwh);
    set("energy_total", snapshot.energy_total_kwh);
    set("power_ac", power);
    set("operating_power", power);
    set("power_dc", power_dc);
    set("grid_voltage", 230.4);
    set("grid_l2_voltage", 231.1);
    set("grid_l3_voltage", 229.7);
    set("grid_current", power / 230.0 / phases);
    set("grid_l2_current", power / 230.0 / phases);
    set("grid_l3_current", power / 230.0 / phases);
    set("grid_frequency", 50.01);
    set("temperature", 20.0 + 25.0 * power / std::max(snapshot.rated_w, 1.0));
    // Micro inverters take one module per input (~35 V), string inverters a string (~360 V).
    const double module_voltage = snapshot.rated_w <= 2000 ? 34.5 : 360.0;
    for (int i = 1; i <= inputs; ++i) {
        const std::string dc = "dc" + std::to_string(i);
        const double share = power_dc / inputs;
        set(dc + ".voltage", producing ? module_voltage : 0.0);
        set(dc + ".current", producing ? share / module_voltage : 0.0);
        set(dc + ".power", share);
        set(dc + ".energy_today", snapshot.energy_today_kwh / inputs);
        set(dc + ".energy_total", snapshot.energy_total_kwh / inputs);
    }
    // Hybrids: a battery taking a fifth of the power, the grid the rest of the surplus.
    const double battery_power = std::round(power * 0.2);
    set("battery.soc", 76);
    set("battery.voltage", 52.4);
    set("battery.power", battery_power);
    set("battery.current", battery_power / 52.4);
    set("battery.temperature", 24.5);
    set("battery.energy_charged_today", snapshot.energy_today_kwh * 0.3);
    set("battery.energy_discharged_today", snapshot.energy_today_kwh * 0.2);
    set("battery.energy_charged_total", snapshot.energy_total_kwh * 0.3);
    set("battery.energy_discharged_total", snapshot.energy_total_kwh * 0.2);
    set("energy_bought_today", 3.2);
    set("energy_sold_today", snapshot.energy_today_kwh * 0.4);
    set("energy_bought_total", snapshot.energy_total_kwh * 0.25);
    set("energy_sold_total", snapshot.energy_total_kwh * 0.4);
    set("grid_power", -std::round(power * 0.4));  // exporting
    return values;
}

Result<RegisterImage> SimulatedRegisters(const sm::FieldMap& map, SolarInverter& inverter, double rated_w, Timestamp t,
                                         const TimeZone& zone, std::string_view inverter_serial) {
    // SolarInverter's day is sin^2 over 06:00..20:00 local; its integral from the start is u/2 - sin(2 pi u)/(4 pi)
    // of the 14 hours at rated power.
    const double hour = std::chrono::duration<double, std::ratio<3600>>(t - zone.StartOfDay(t)).count();
    const double u = std::clamp((hour - 6.0) / 14.0, 0.0, 1.0);
    const double day_fraction = u / 2.0 - std::sin(2.0 * std::numbers::pi * u) / (4.0 * std::numbers::pi);
    InverterSnapshot snapshot;
    snapshot.rated_w = rated_w;
    snapshot.power_ac_w = inverter.PowerAt(t, zone);
    snapshot.energy_today_kwh = rated_w * 14.0 * day_fraction / 1000.0;
    snapshot.energy_total_kwh = 1234.5 + snapshot.energy_today_kwh;
    std::map<std::string, std::string> texts;
    if (const sm::FieldSpec* serial = FindField(map, "inverter_serial");
        serial != nullptr && serial->type == sm::ValueType::kAscii) {
        texts["inverter_serial"] = std::string(inverter_serial.substr(0, serial->length));
    }
    return EncodeRegisters(map, TypicalReadings(map, snapshot), texts);
}

}  // namespace mh::sim
