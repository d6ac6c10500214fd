// LoggerInfo: what a logger tells about itself in its 0x4110 hello (handshake) frame — firmware, network,
// intervals, and the sensor type that selects the data layout (docs/protocols/solarman-v5.md, "Hello").
// Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mh::ingest::solarman {

inline constexpr std::size_t kHelloHeaderSize = 13;  // frame type + three u32

// Fields beyond the end of a short payload stay empty / nullopt.
struct LoggerInfo {
    std::uint8_t frame_type = 0;                        // payload 0: 0x02
    std::uint32_t total_working_time_s = 0;             // payload 1, u32 LE
    std::uint32_t power_on_time_s = 0;                  // payload 5, u32 LE
    std::uint32_t offset_time_s = 0;                    // payload 9, u32 LE (0 in hellos seen so far)
    std::optional<std::uint32_t> upload_interval_s;     // payload 13: minutes on the wire
    std::optional<std::uint32_t> collect_interval_s;    // payload 14: seconds
    std::optional<std::uint32_t> heartbeat_interval_s;  // payload 15: seconds
    std::optional<std::uint8_t> signal_strength_pct;    // payload 17
    std::string logger_firmware;                        // payload 19, 40 bytes ASCII, e.g. "LSW5BLE_17_02B0_1.05"
    std::string mac;                                    // payload 59, 6 bytes, "40:2a:8f:4f:51:54"
    std::string ip;                                     // payload 65, 16 bytes ASCII
    std::optional<std::uint16_t> sensor_type;           // payload 84, u16 LE; else from the firmware name
    std::string collector_firmware;                     // payload 89, 40 bytes ASCII, e.g. "V1.1.00.0B"
    std::string ssid;                                   // payload 172, up to 40 bytes ASCII

    friend bool operator==(const LoggerInfo&, const LoggerInfo&) = default;
};

// Decodes a 0x4110 payload (Frame::payload). Errc::kInvalidArgument if it is shorter than the 13-byte header.
Result<LoggerInfo> DecodeLoggerInfo(std::span<const std::uint8_t> payload);

// The sensor type named in a logger firmware string: the first 4-hex-digit group between underscores
// ("LSW5BLE_17_02B0_1.05" -> 0x02B0, "MW3_16U_5406_1.57" -> 0x5406).
std::optional<std::uint16_t> SensorTypeFromFirmware(std::string_view firmware) noexcept;

}  // namespace mh::ingest::solarman
