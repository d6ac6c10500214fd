// FieldMap: where an inverter model keeps each measurement, as data. A map lists fields — name, unit, kind,
// position, wire type, scale and validity rules — for one of two layouts: the payload of a pushed 0x4210
// data frame (positions are byte offsets in the payload) or Modbus holding registers read in pull mode
// (positions are register addresses). Built-in maps are constexpr tables (builtin_maps.cpp); more models come
// from map files (field_map_file.hpp) without code. The file format and every built-in map are described in
// docs/protocols/solarman-v5.md, "Field maps".
//
// Value of a numeric field: raw * scale + bias (computed so that decimal scales give the nearest double to the
// decimal, e.g. 2248 * 0.1 -> 224.8 exactly as the literal). Plain values; safe to share between threads once
// built.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mh::ingest::solarman {

enum class MapLayout {
    kPushPayload,       // offsets are bytes from the start of the frame payload
    kHoldingRegisters,  // offsets are Modbus register addresses (each register two bytes, big-endian)
};

enum class FieldKind {
    kGauge,    // a sample: a level (power, voltage, temperature)
    kCounter,  // a sample: a monotonic total that may reset (energy today, energy total)
    kInfo,     // not a sample: metadata reported as a text attribute (firmware, rated power, status)
};

enum class ValueType {
    kU8,
    kU16Le,
    kU16Be,
    kS16Le,
    kS16Be,
    kU32Le,
    kU32Be,
    kS32Le,
    kS32Be,
    kU32LowWordFirst,  // Modbus "U_DWORD": two big-endian registers, the low word first
    kS32LowWordFirst,
    kAscii,           // `length` bytes, NUL padded; kind info only
    kVersionNibbles,  // u16 BE shown as V<n3>.<n2>.<n1><n0> (0x4010 -> "V4.0.10"); kind info only
    kClockYmdhms,     // 6 bytes YY MM DD hh mm ss, year 2000+YY, shown as "2024-04-11T12:30:05"; kind info only
    kProduct,         // no wire bytes: the product of two earlier numeric fields (dc power = V * I)
};

// Spelling in map files: "u8", "u16le", ..., "u32_low_word_first", "ascii", "version_nibbles", "clock_ymdhms",
// "product".
std::string_view ValueTypeName(ValueType type) noexcept;
std::optional<ValueType> ParseValueType(std::string_view name) noexcept;
std::string_view FieldKindName(FieldKind kind) noexcept;
std::optional<FieldKind> ParseFieldKind(std::string_view name) noexcept;
std::string_view MapLayoutName(MapLayout layout) noexcept;
std::optional<MapLayout> ParseMapLayout(std::string_view name) noexcept;

// Wire bytes a field of `type` occupies (`ascii_length` for kAscii; 0 for kProduct).
std::uint32_t WireSize(ValueType type, std::uint32_t ascii_length) noexcept;
bool IsNumeric(ValueType type) noexcept;  // false for the text types

struct FieldSpec {
    std::string name;  // [a-z0-9_.], e.g. "power_ac", "dc1.voltage"
    std::string unit;  // "W", "kWh", "V", "A", "Hz", "°C", "%", "" ...
    FieldKind kind = FieldKind::kGauge;
    ValueType type = ValueType::kU16Le;
    std::uint32_t offset = 0;  // byte offset (push payload) or register address (holding registers)
    std::uint32_t length = 0;  // kAscii only: bytes
    double scale = 1.0;
    double bias = 0.0;
    // Validity rules; a value that breaks one is left out of the report and named in DataReport::skipped.
    std::optional<double> min;                 // the value (after scale and bias) must be >= min
    std::optional<double> max;                 // ... and <= max
    bool zero_invalid = false;                 // a raw 0 means "no reading" (micro inverters waking up)
    std::optional<std::uint32_t> invalid_raw;  // a raw sentinel meaning "no reading", e.g. 0xFFFF
    std::array<std::string, 2> product_of;     // kProduct only: the two factors, numeric fields defined earlier

    friend bool operator==(const FieldSpec&, const FieldSpec&) = default;
};

struct FieldMap {
    std::string name;  // e.g. "deye_micro_push"
    std::string description;
    MapLayout layout = MapLayout::kPushPayload;
    // Push maps: the sensor types (payload bytes 1..2, u16 LE) the map is meant for: (sensor_type &
    // sensor_type_mask) == sensor_type_value. Informational for register maps.
    std::optional<std::uint16_t> sensor_type_value;
    std::uint16_t sensor_type_mask = 0xFFFF;
    // Push maps: the payload size the map needs; shorter payloads are rejected. 0: derived from the fields.
    std::uint32_t payload_size = 0;
    std::vector<FieldSpec> fields;

    bool MatchesSensorType(std::uint16_t sensor_type) const noexcept {
        return sensor_type_value && (sensor_type & sensor_type_mask) == *sensor_type_value;
    }
    // The payload size the map needs: payload_size if set, else the end of the furthest field.
    std::uint32_t RequiredPayloadSize() const noexcept;

    friend bool operator==(const FieldMap&, const FieldMap&) = default;
};

// Checks a map: names well formed and unique, kinds fit types, scale finite and non-zero, bias finite,
// min <= max, ascii lengths 1..64, products refer to earlier numeric fields, push fields inside the
// payload_size (if given) and the V5 payload cap, register fields inside 0..65535. Errors (Errc::kInvalidArgument) read
// `field map "<name>": field <i> ("<field>"): ...`.
Status ValidateFieldMap(const FieldMap& map);

// ---- Built-in maps ---------------------------------------------------------------------------------------

// Names of the built-in maps, e.g. "deye_micro_push", "sensor_02b0_push", "deye_micro_modbus".
std::span<const std::string_view> BuiltinFieldMapNames() noexcept;
// The built-in map `name`, or Errc::kNotFound listing the names that exist.
Result<FieldMap> BuiltinFieldMap(std::string_view name);
// The name of the built-in push map for a data frame's sensor type, if one matches.
std::optional<std::string_view> BuiltinPushMapFor(std::uint16_t sensor_type) noexcept;

}  // namespace mh::ingest::solarman
