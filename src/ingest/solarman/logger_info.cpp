#include "ingest/solarman/logger_info.hpp"

#include <algorithm>
#include <cstdio>

#include "ingest/solarman/byte_reader.hpp"

namespace mh::ingest::solarman {
namespace {

// Reads up to `size` bytes of ASCII at `offset`, fewer if the payload ends first.
std::string AsciiAt(const ByteReader& reader, std::size_t offset, std::size_t size) {
    if (offset >= reader.size()) return {};
    std::span<const std::uint8_t> bytes;
    (void)reader.BytesAt(offset, std::min(size, reader.size() - offset), bytes);
    return AsciiField(bytes);
}

int HexDigit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

}  // namespace

Result<LoggerInfo> DecodeLoggerInfo(std::span<const std::uint8_t> payload) {
    const ByteReader reader(payload);
    LoggerInfo info;
    if (!reader.U8At(0, info.frame_type) || !reader.U32LeAt(1, info.total_working_time_s) ||
        !reader.U32LeAt(5, info.power_on_time_s) || !reader.U32LeAt(9, info.offset_time_s)) {
        return MakeError(Errc::kInvalidArgument, "solarman hello: payload of " + std::to_string(payload.size()) +
                                                     " bytes is shorter than the " + std::to_string(kHelloHeaderSize) +
                                                     "-byte header");
    }
    std::uint8_t byte = 0;
    if (reader.U8At(13, byte)) info.upload_interval_s = std::uint32_t{byte} * 60;
    if (reader.U8At(14, byte)) info.collect_interval_s = byte;
    if (reader.U8At(15, byte)) info.heartbeat_interval_s = byte;
    if (reader.U8At(17, byte)) info.signal_strength_pct = byte;
    info.logger_firmware = AsciiAt(reader, 19, 40);
    std::span<const std::uint8_t> mac;
    if (reader.BytesAt(59, 6, mac)) {
        char text[18];
        std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                      mac[5]);
        info.mac = text;
    }
    info.ip = AsciiAt(reader, 65, 16);
    std::uint16_t sensor = 0;
    if (reader.U16LeAt(84, sensor) && sensor != 0) {
        info.sensor_type = sensor;
    } else {
        info.sensor_type = SensorTypeFromFirmware(info.logger_firmware);
    }
    info.collector_firmware = AsciiAt(reader, 89, 40);
    info.ssid = AsciiAt(reader, 172, 40);
    return info;
}

std::optional<std::uint16_t> SensorTypeFromFirmware(std::string_view firmware) noexcept {
    std::size_t start = 0;
    while (start <= firmware.size()) {
        std::size_t end = firmware.find('_', start);
        if (end == std::string_view::npos) end = firmware.size();
        const std::string_view group = firmware.substr(start, end - start);
        // Only groups between two underscores: the last group is the version ("1.05").
        if (group.size() == 4 && start > 0 && end < firmware.size()) {
            unsigned value = 0;
            bool hex = true;
            for (const char c : group) {
                const int digit = HexDigit(c);
                if (digit < 0) {
                    hex = false;
                    break;
                }
                value = value * 16 + static_cast<unsigned>(digit);
            }
            if (hex) return static_cast<std::uint16_t>(value);
        }
        start = end + 1;
    }
    return std::nullopt;
}

}  // namespace mh::ingest::solarman
