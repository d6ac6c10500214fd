// Decoding of what a logger pushes in 0x4210 data frames: the generic push header (frame type, sensor type,
// logger clock, inverter serial) and, through a FieldMap, the inverter's measurements as named samples
// (docs/protocols/solarman-v5.md, "Data payload"). Pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "ingest/solarman/field_map.hpp"

namespace mh::ingest::solarman {

// Payload byte 0 of pushed frames.
inline constexpr std::uint8_t kFrameTypeKeepAlive = 0x00;
inline constexpr std::uint8_t kFrameTypeRealTime = 0x01;
inline constexpr std::uint8_t kFrameTypeHandshake = 0x02;
inline constexpr std::uint8_t kFrameTypeHistoricBit = 0x80;  // 0x81: buffered data from an earlier interval
inline constexpr std::size_t kPushHeaderSize = 37;           // through the 16-byte inverter serial
// Logger clocks that were never set count from 1970 or from the factory; earlier times are not trusted.
inline constexpr std::int64_t kMinPlausibleDeviceTimeS = 1'420'070'400;  // 2015-01-01T00:00:00Z

// The header of a pushed data payload (0x4210), payload offsets 0..36.
struct PushHeader {
    std::uint8_t frame_type = 0;             // 0: 0x01 real time, 0x81 historic
    std::uint16_t sensor_type = 0;           // 1: u16 LE, selects the layout (0x02B0 TSUN; low byte 0x08 Deye micro)
    std::uint32_t total_working_time_s = 0;  // 3
    std::uint32_t power_on_time_s = 0;       // 7: seconds since the logger booted
    std::uint32_t offset_time_s = 0;         // 11
    std::uint32_t packet_counter = 0;        // 17
    std::string inverter_serial;             // 21: 16 bytes ASCII, NUL padded

    // total_working_time + offset_time: the logger's clock when it took the data, in whatever zone the server's
    // replies set it to; nullopt if it is before 2015 (never set).
    std::optional<std::int64_t> DeviceTimeMs() const noexcept;
    bool historic() const noexcept { return (frame_type & kFrameTypeHistoricBit) != 0; }

    friend bool operator==(const PushHeader&, const PushHeader&) = default;
};

struct DecodedSample {
    std::string name;
    std::string unit;
    bool counter = false;
    double value = 0.0;

    friend bool operator==(const DecodedSample&, const DecodedSample&) = default;
};

struct DataReport {
    std::optional<std::int64_t> device_time_ms;  // push: PushHeader::DeviceTimeMs(); registers: none
    bool historic = false;                       // push: frame type 0x81 (re-sent after an outage)
    std::optional<PushHeader> header;            // push only
    std::string inverter_serial;                 // push: header; registers: the "inverter_serial" field if mapped
    std::vector<DecodedSample> samples;          // gauge and counter fields, in map order
    std::vector<std::pair<std::string, std::string>> attributes;  // info fields as text, in map order
    std::vector<std::string> skipped;  // "<field>: <reason>" for values left out by a validity rule or not read

    const DecodedSample* FindSample(std::string_view name) const noexcept;
    const std::string* FindAttribute(std::string_view name) const noexcept;
};

// Decodes the push header; Errc::kInvalidArgument if the payload is shorter than kPushHeaderSize.
Result<PushHeader> DecodePushHeader(std::span<const std::uint8_t> payload);

// Decodes a 0x4210 payload (Frame::payload) with a push map. Errors (Errc::kInvalidArgument): the map is not
// a push map, the frame type is not 0x01/0x81, or the payload is shorter than map.RequiredPayloadSize().
// The sensor type is not checked against the map: the caller chose the map (see BuiltinPushMapFor).
Result<DataReport> DecodeDataPayload(std::span<const std::uint8_t> payload, const FieldMap& map);

// The engine under DecodeDataPayload and DecodeRegisters: evaluates every field of `map` into `report`.
// `wire(offset, size)` returns the field's wire bytes, or nullopt if they were not read (the field is then
// named in report.skipped). `map` must have passed ValidateFieldMap.
using WireBytes = std::function<std::optional<std::span<const std::uint8_t>>(std::uint32_t offset, std::uint32_t size)>;
void DecodeFields(const FieldMap& map, const WireBytes& wire, DataReport& report);

}  // namespace mh::ingest::solarman
