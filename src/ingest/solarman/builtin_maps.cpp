// The built-in field maps as constexpr tables. Every offset, type and scale comes from the protocol notes
// (/work/shared/protocols/solarman-v5.md sections 2.7, 2.8, 2.9) and is listed with its source in
// docs/protocols/solarman-v5.md, "Built-in maps"; change both together.
#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ingest/solarman/field_map.hpp"

namespace mh::ingest::solarman {
namespace {

using enum ValueType;

struct FieldDef {
    std::string_view name;
    std::string_view unit;
    FieldKind kind = FieldKind::kGauge;
    ValueType type = kU16Le;
    std::uint32_t offset = 0;
    double scale = 1.0;
    double bias = 0.0;
    std::uint32_t length = 0;
    bool zero_invalid = false;
    std::string_view factor_a;
    std::string_view factor_b;
};

constexpr FieldDef Def(std::string_view name, std::string_view unit, FieldKind kind, ValueType type,
                       std::uint32_t offset, double scale) {
    FieldDef d;
    d.name = name;
    d.unit = unit;
    d.kind = kind;
    d.type = type;
    d.offset = offset;
    d.scale = scale;
    return d;
}
constexpr FieldDef Gauge(std::string_view name, std::string_view unit, ValueType type, std::uint32_t offset,
                         double scale = 1.0, double bias = 0.0) {
    FieldDef d = Def(name, unit, FieldKind::kGauge, type, offset, scale);
    d.bias = bias;
    return d;
}
// A gauge whose raw 0 means "not present" (the L2/L3 voltages of a single-phase model).
constexpr FieldDef GaugeNonZero(std::string_view name, std::string_view unit, ValueType type, std::uint32_t offset,
                                double scale) {
    FieldDef d = Def(name, unit, FieldKind::kGauge, type, offset, scale);
    d.zero_invalid = true;
    return d;
}
constexpr FieldDef Counter(std::string_view name, std::string_view unit, ValueType type, std::uint32_t offset,
                           double scale, bool zero_invalid = false) {
    FieldDef d = Def(name, unit, FieldKind::kCounter, type, offset, scale);
    d.zero_invalid = zero_invalid;
    return d;
}
constexpr FieldDef Info(std::string_view name, std::string_view unit, ValueType type, std::uint32_t offset,
                        double scale = 1.0) {
    return Def(name, unit, FieldKind::kInfo, type, offset, scale);
}
constexpr FieldDef Text(std::string_view name, ValueType type, std::uint32_t offset, std::uint32_t length = 0) {
    FieldDef d = Def(name, "", FieldKind::kInfo, type, offset, 1.0);
    d.length = length;
    return d;
}
constexpr FieldDef Product(std::string_view name, std::string_view unit, std::string_view a, std::string_view b) {
    FieldDef d = Def(name, unit, FieldKind::kGauge, kProduct, 0, 1.0);
    d.factor_a = a;
    d.factor_b = b;
    return d;
}

constexpr bool kZeroInvalid = true;

// ---- Push layouts: offsets are payload bytes (frame offset - 11) ------------------------------------------

// Deye micro inverters (SUN600G3, SUN-M80G3/G4; sensor type low byte 0x08): Hypfer's deye_sun600.ksy.
// Mixed endianness is real: most fields LE, rated power and per-input totals BE.
constexpr FieldDef kDeyeMicroPush[] = {
    Counter("energy_today", "kWh", kU32Le, 33, 0.01),
    Counter("energy_total", "kWh", kU32Le, 37, 0.1, kZeroInvalid),
    Gauge("grid_voltage", "V", kU16Le, 45, 0.1),
    Gauge("grid_current", "A", kU16Le, 51, 0.1),
    Gauge("grid_frequency", "Hz", kU16Le, 57, 0.01),
    Gauge("power_ac", "W", kU32Le, 59),
    Gauge("temperature", "°C", kS16Le, 63, 0.01),
    Gauge("dc1.voltage", "V", kU16Le, 85, 0.1),
    Gauge("dc1.current", "A", kU16Le, 87, 0.1),
    Product("dc1.power", "W", "dc1.voltage", "dc1.current"),
    Gauge("dc2.voltage", "V", kU16Le, 89, 0.1),
    Gauge("dc2.current", "A", kU16Le, 91, 0.1),
    Product("dc2.power", "W", "dc2.voltage", "dc2.current"),
    Gauge("dc3.voltage", "V", kU16Le, 93, 0.1),
    Gauge("dc3.current", "A", kU16Le, 95, 0.1),
    Product("dc3.power", "W", "dc3.voltage", "dc3.current"),
    Gauge("dc4.voltage", "V", kU16Le, 97, 0.1),
    Gauge("dc4.current", "A", kU16Le, 99, 0.1),
    Product("dc4.power", "W", "dc4.voltage", "dc4.current"),
    Text("protocol_version", kAscii, 101, 8),
    Text("dc_firmware", kAscii, 109, 8),
    Text("ac_firmware", kAscii, 117, 8),
    Info("rated_power", "W", kU16Be, 129, 0.1),
    Info("mppt_count", "", kU8, 131),
    Info("phase_count", "", kU8, 132),
    Counter("dc1.energy_today", "kWh", kU16Le, 136, 0.1),
    Counter("dc2.energy_today", "kWh", kU16Le, 138, 0.1),
    Counter("dc3.energy_today", "kWh", kU16Le, 140, 0.1),
    Counter("dc4.energy_today", "kWh", kU16Le, 142, 0.1),
    Counter("dc1.energy_total", "kWh", kU16Be, 145, 0.1),
    Counter("dc2.energy_total", "kWh", kU16Be, 149, 0.1),
    Counter("dc3.energy_total", "kWh", kU16Be, 153, 0.1),
    Counter("dc4.energy_total", "kWh", kU16Be, 157, 0.1),
    Text("inverter_clock", kClockYmdhms, 245),
};

// Sensor type 0x02B0 (TSUN TSOL-MS, Deye built): a Modbus block mirrored into the push, values BE
// (tsun-gen3-proxy infos_g3p.py, keys 0x4201xxxx are frame offsets).
constexpr FieldDef kSensor02B0Push[] = {
    Info("inverter_status", "", kU16Be, 181),
    Text("firmware_version", kVersionNibbles, 197),
    Gauge("grid_voltage", "V", kU16Be, 199, 0.1),
    Gauge("grid_current", "A", kU16Be, 201, 0.01),
    Gauge("grid_frequency", "Hz", kU16Be, 203, 0.01),
    Gauge("temperature", "°C", kU16Be, 205, 1.0, -40.0),
    Info("rated_power", "W", kU16Be, 209),
    Gauge("power_ac", "W", kU16Be, 211, 0.1),
    Gauge("dc1.voltage", "V", kU16Be, 213, 0.1),
    Gauge("dc1.current", "A", kU16Be, 215, 0.01),
    Gauge("dc1.power", "W", kU16Be, 217, 0.1),
    Gauge("dc2.voltage", "V", kU16Be, 219, 0.1),
    Gauge("dc2.current", "A", kU16Be, 221, 0.01),
    Gauge("dc2.power", "W", kU16Be, 223, 0.1),
    Gauge("dc3.voltage", "V", kU16Be, 225, 0.1),
    Gauge("dc3.current", "A", kU16Be, 227, 0.01),
    Gauge("dc3.power", "W", kU16Be, 229, 0.1),
    Gauge("dc4.voltage", "V", kU16Be, 231, 0.1),
    Gauge("dc4.current", "A", kU16Be, 233, 0.01),
    Gauge("dc4.power", "W", kU16Be, 235, 0.1),
    Counter("energy_today", "kWh", kU16Be, 237, 0.01),
    Counter("energy_total", "kWh", kU32Be, 239, 0.01, kZeroInvalid),
    Counter("dc1.energy_today", "kWh", kU16Be, 243, 0.01),
    Counter("dc1.energy_total", "kWh", kU32Be, 245, 0.01),
    Counter("dc2.energy_today", "kWh", kU16Be, 249, 0.01),
    Counter("dc2.energy_total", "kWh", kU32Be, 251, 0.01),
    Counter("dc3.energy_today", "kWh", kU16Be, 255, 0.01),
    Counter("dc3.energy_total", "kWh", kU32Be, 257, 0.01),
    Counter("dc4.energy_today", "kWh", kU16Be, 261, 0.01),
    Counter("dc4.energy_total", "kWh", kU32Be, 263, 0.01),
    Info("max_designed_power", "W", kU16Be, 283),
};

// ---- Holding-register layouts (pull mode, fc 0x03): offsets are register addresses ------------------------

// The block micro and string inverters share (kbialek metric_group_micro/_string, StephanJoubert
// deye_string/deye_4mppt).
constexpr FieldDef kDeyeModbusBase[] = {
    Text("inverter_serial", kAscii, 0x03, 10),
    Info("running_status", "", kU16Be, 0x3B),
    Counter("energy_today", "kWh", kU16Be, 0x3C, 0.1),
    Info("uptime", "min", kU16Be, 0x3E),
    Counter("energy_total", "kWh", kU32LowWordFirst, 0x3F, 0.1, kZeroInvalid),
    Gauge("grid_voltage", "V", kU16Be, 0x49, 0.1),
    Gauge("grid_current", "A", kU16Be, 0x4C, 0.1),
    Gauge("grid_frequency", "Hz", kU16Be, 0x4F, 0.01),
    Gauge("power_ac", "W", kU32LowWordFirst, 0x56, 0.1),
};

constexpr FieldDef kDeyeMicroModbus[] = {
    Gauge("temperature", "°C", kS16Be, 0x5A, 0.01),
    Counter("dc1.energy_today", "kWh", kU16Be, 0x41, 0.1),
    Counter("dc2.energy_today", "kWh", kU16Be, 0x42, 0.1),
    Counter("dc3.energy_today", "kWh", kU16Be, 0x43, 0.1),
    Counter("dc4.energy_today", "kWh", kU16Be, 0x44, 0.1),
    Counter("dc1.energy_total", "kWh", kU32LowWordFirst, 0x45, 0.1),
    Counter("dc2.energy_total", "kWh", kU32LowWordFirst, 0x47, 0.1),
    Counter("dc3.energy_total", "kWh", kU32LowWordFirst, 0x4A, 0.1),
    Counter("dc4.energy_total", "kWh", kU32LowWordFirst, 0x4D, 0.1),
};

// String inverters: three phases (L2/L3 read 0 on single-phase models, hence zero_invalid on the voltages).
constexpr FieldDef kDeyeStringModbus[] = {
    GaugeNonZero("grid_l2_voltage", "V", kU16Be, 0x4A, 0.1), GaugeNonZero("grid_l3_voltage", "V", kU16Be, 0x4B, 0.1),
    Gauge("grid_l2_current", "A", kU16Be, 0x4D, 0.1),        Gauge("grid_l3_current", "A", kU16Be, 0x4E, 0.1),
    Gauge("operating_power", "W", kU16Be, 0x50, 0.1),        Gauge("power_dc", "W", kU16Be, 0x52, 0.1),
    Gauge("temperature", "°C", kS16Be, 0x5A, 0.1),
};

constexpr FieldDef kDeyeModbusPv12[] = {
    Gauge("dc1.voltage", "V", kU16Be, 0x6D, 0.1),
    Gauge("dc1.current", "A", kU16Be, 0x6E, 0.1),
    Product("dc1.power", "W", "dc1.voltage", "dc1.current"),
    Gauge("dc2.voltage", "V", kU16Be, 0x6F, 0.1),
    Gauge("dc2.current", "A", kU16Be, 0x70, 0.1),
    Product("dc2.power", "W", "dc2.voltage", "dc2.current"),
};

constexpr FieldDef kDeyeModbusPv34[] = {
    Gauge("dc3.voltage", "V", kU16Be, 0x71, 0.1),
    Gauge("dc3.current", "A", kU16Be, 0x72, 0.1),
    Product("dc3.power", "W", "dc3.voltage", "dc3.current"),
    Gauge("dc4.voltage", "V", kU16Be, 0x73, 0.1),
    Gauge("dc4.current", "A", kU16Be, 0x74, 0.1),
    Product("dc4.power", "W", "dc4.voltage", "dc4.current"),
};

constexpr std::span<const FieldDef> kDeyeModbusPv1 = std::span(kDeyeModbusPv12).first(3);

// Hybrid SG04LP3 (kbialek). Where the notes give no scale (PV and grid voltages, currents) the Deye family's
// 0.1 is assumed, and the split of 0x202..0x20D into daily and total registers follows the register count;
// see the doc's "Gaps".
constexpr FieldDef kDeyeSg04lp3Modbus[] = {
    Info("running_status", "", kU16Be, 0x1F4),
    Counter("battery.energy_charged_today", "kWh", kU16Be, 0x202, 0.1),
    Counter("battery.energy_discharged_today", "kWh", kU16Be, 0x203, 0.1),
    Counter("battery.energy_charged_total", "kWh", kU32LowWordFirst, 0x204, 0.1),
    Counter("battery.energy_discharged_total", "kWh", kU32LowWordFirst, 0x206, 0.1),
    Counter("energy_bought_today", "kWh", kU16Be, 0x208, 0.1),
    Counter("energy_sold_today", "kWh", kU16Be, 0x209, 0.1),
    Counter("energy_bought_total", "kWh", kU32LowWordFirst, 0x20A, 0.1),
    Counter("energy_sold_total", "kWh", kU32LowWordFirst, 0x20C, 0.1),
    Counter("energy_today", "kWh", kU16Be, 0x211, 0.1),
    Counter("energy_total", "kWh", kU32LowWordFirst, 0x216, 0.1, kZeroInvalid),
    Gauge("battery.temperature", "°C", kU16Be, 0x24A, 0.1, -100.0),
    Gauge("battery.voltage", "V", kU16Be, 0x24B, 0.01),
    Gauge("battery.soc", "%", kU16Be, 0x24C),
    Gauge("battery.power", "W", kS16Be, 0x24E),
    Gauge("battery.current", "A", kS16Be, 0x24F, 0.01),
    Gauge("grid_voltage", "V", kU16Be, 0x256, 0.1),
    GaugeNonZero("grid_l2_voltage", "V", kU16Be, 0x257, 0.1),
    GaugeNonZero("grid_l3_voltage", "V", kU16Be, 0x258, 0.1),
    Gauge("grid_power", "W", kS16Be, 0x271),
    Gauge("dc1.power", "W", kU16Be, 0x2A0),
    Gauge("dc2.power", "W", kU16Be, 0x2A1),
    Gauge("dc1.voltage", "V", kU16Be, 0x2A4, 0.1),
    Gauge("dc1.current", "A", kU16Be, 0x2A5, 0.1),
    Gauge("dc2.voltage", "V", kU16Be, 0x2A6, 0.1),
    Gauge("dc2.current", "A", kU16Be, 0x2A7, 0.1),
};

struct MapDef {
    std::string_view name;
    std::string_view description;
    MapLayout layout;
    std::optional<std::uint16_t> sensor_type_value;
    std::uint16_t sensor_type_mask;
    std::uint32_t payload_size;
    std::array<std::span<const FieldDef>, 4> parts;  // concatenated in order; empty spans are unused
};

constexpr MapDef kMaps[] = {
    {"deye_micro_push",
     "Deye micro inverter push data (SUN600G3, SUN-M80G3/G4), sensor type low byte 0x08",
     MapLayout::kPushPayload,
     0x0008,
     0x00FF,
     251,
     {kDeyeMicroPush}},
    {"sensor_02b0_push",
     "TSUN TSOL-MS / Deye-built micro push data, sensor type 0x02B0",
     MapLayout::kPushPayload,
     0x02B0,
     0xFFFF,
     285,
     {kSensor02B0Push}},
    {"deye_micro_modbus",
     "Deye micro inverter (SUN-xxxG3) holding registers",
     MapLayout::kHoldingRegisters,
     std::nullopt,
     0xFFFF,
     0,
     {kDeyeModbusBase, kDeyeMicroModbus, kDeyeModbusPv12, kDeyeModbusPv34}},
    {"deye_string_1mppt_modbus",
     "Deye string inverter, 1 MPPT, holding registers",
     MapLayout::kHoldingRegisters,
     std::nullopt,
     0xFFFF,
     0,
     {kDeyeModbusBase, kDeyeStringModbus, kDeyeModbusPv1}},
    {"deye_string_2mppt_modbus",
     "Deye string inverter, 2 MPPT, holding registers",
     MapLayout::kHoldingRegisters,
     std::nullopt,
     0xFFFF,
     0,
     {kDeyeModbusBase, kDeyeStringModbus, kDeyeModbusPv12}},
    {"deye_string_4mppt_modbus",
     "Deye string inverter, 4 MPPT, holding registers",
     MapLayout::kHoldingRegisters,
     std::nullopt,
     0xFFFF,
     0,
     {kDeyeModbusBase, kDeyeStringModbus, kDeyeModbusPv12, kDeyeModbusPv34}},
    {"deye_sg04lp3_modbus",
     "Deye hybrid SG04LP3 (three phase, low-voltage battery) holding registers",
     MapLayout::kHoldingRegisters,
     std::nullopt,
     0xFFFF,
     0,
     {kDeyeSg04lp3Modbus}},
};

constexpr std::array<std::string_view, std::size(kMaps)> kNames = [] {
    std::array<std::string_view, std::size(kMaps)> names{};
    for (std::size_t i = 0; i < std::size(kMaps); ++i) names[i] = kMaps[i].name;
    return names;
}();

FieldMap Build(const MapDef& def) {
    FieldMap map;
    map.name = def.name;
    map.description = def.description;
    map.layout = def.layout;
    map.sensor_type_value = def.sensor_type_value;
    map.sensor_type_mask = def.sensor_type_mask;
    map.payload_size = def.payload_size;
    for (const std::span<const FieldDef> part : def.parts) {
        for (const FieldDef& d : part) {
            FieldSpec f;
            f.name = d.name;
            f.unit = d.unit;
            f.kind = d.kind;
            f.type = d.type;
            f.offset = d.offset;
            f.length = d.length;
            f.scale = d.scale;
            f.bias = d.bias;
            f.zero_invalid = d.zero_invalid;
            f.product_of = {std::string(d.factor_a), std::string(d.factor_b)};
            map.fields.push_back(std::move(f));
        }
    }
    return map;
}

}  // namespace

std::span<const std::string_view> BuiltinFieldMapNames() noexcept {
    return kNames;
}

Result<FieldMap> BuiltinFieldMap(std::string_view name) {
    for (const MapDef& def : kMaps) {
        if (def.name == name) return Build(def);
    }
    std::string known;
    for (const std::string_view n : kNames) known += (known.empty() ? "" : ", ") + std::string(n);
    return MakeError(Errc::kNotFound, "no built-in field map \"" + std::string(name) + "\" (have: " + known + ")");
}

std::optional<std::string_view> BuiltinPushMapFor(std::uint16_t sensor_type) noexcept {
    for (const MapDef& def : kMaps) {
        if (def.layout == MapLayout::kPushPayload && def.sensor_type_value &&
            (sensor_type & def.sensor_type_mask) == *def.sensor_type_value) {
            return def.name;
        }
    }
    return std::nullopt;
}

}  // namespace mh::ingest::solarman
