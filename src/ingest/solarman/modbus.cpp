#include "ingest/solarman/modbus.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "ingest/solarman/byte_reader.hpp"

namespace mh::ingest::solarman {
namespace {

constexpr std::uint8_t kRequestFrameType = 0x02;
constexpr std::uint8_t kExceptionBit = 0x80;
constexpr std::uint8_t kStatusWrongSerial = 0x06;
constexpr std::uint8_t kStatusNoInverterAnswer = 0x05;

Error BadReply(const std::string& what) {
    return MakeError(Errc::kInvalidArgument, "solarman modbus reply: " + what);
}

std::string Hex(unsigned v, int width) {
    char text[12];
    std::snprintf(text, sizeof text, "0x%0*X", width, v);
    return text;
}

// True if the CRC over rtu[0 .. body) matches the two bytes after it.
bool CrcMatches(std::span<const std::uint8_t> rtu, std::size_t body) {
    const std::uint16_t crc = Crc16Modbus(rtu.first(body));
    return rtu[body] == (crc & 0xFF) && rtu[body + 1] == (crc >> 8);
}

}  // namespace

std::uint16_t Crc16Modbus(std::span<const std::uint8_t> bytes) noexcept {
    std::uint16_t crc = 0xFFFF;
    for (const std::uint8_t byte : bytes) {
        crc ^= byte;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 1) != 0 ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001) : crc >> 1;
    }
    return crc;
}

Result<std::vector<std::uint8_t>> EncodeModbusRead(std::uint32_t logger_serial, std::uint8_t sequence,
                                                   std::uint8_t slave, std::uint16_t start_register,
                                                   std::uint16_t count, std::uint8_t function) {
    if (count < 1 || count > kMaxReadCount) {
        return MakeError(Errc::kInvalidArgument, "solarman modbus request: count " + std::to_string(count) +
                                                     " is outside 1.." + std::to_string(kMaxReadCount));
    }
    if (function != kReadHoldingRegisters && function != kReadInputRegisters) {
        return MakeError(Errc::kInvalidArgument,
                         "solarman modbus request: function " + Hex(function, 2) + " is not a register read");
    }
    Frame frame;
    frame.control = ControlCode::kRequest;
    frame.server_sequence = sequence;
    frame.logger_sequence = 0;
    frame.logger_serial = logger_serial;
    frame.payload.assign(kRequestHeaderSize, 0);
    frame.payload[0] = kRequestFrameType;
    const std::uint8_t rtu[6] = {slave,
                                 function,
                                 static_cast<std::uint8_t>(start_register >> 8),
                                 static_cast<std::uint8_t>(start_register),
                                 static_cast<std::uint8_t>(count >> 8),
                                 static_cast<std::uint8_t>(count)};
    const std::uint16_t crc = Crc16Modbus(rtu);
    frame.payload.insert(frame.payload.end(), std::begin(rtu), std::end(rtu));
    frame.payload.push_back(static_cast<std::uint8_t>(crc));
    frame.payload.push_back(static_cast<std::uint8_t>(crc >> 8));
    return EncodeFrame(frame);
}

Result<ModbusReply> DecodeModbusReply(const Frame& frame) {
    ModbusReply reply;
    reply.logger_serial = frame.logger_serial;
    reply.sequence = frame.server_sequence;
    if (frame.control == ControlCode::kRequestInterim) {
        reply.kind = ModbusReplyKind::kInterim;
        return reply;
    }
    if (frame.control != ControlCode::kRequestReply) {
        return BadReply("control code " + FormatControlCode(frame.control) + " (" + ControlCodeName(frame.control) +
                        ") is not a request reply");
    }
    if (frame.payload.size() < kReplyHeaderSize + 2) {
        return BadReply("payload of " + std::to_string(frame.payload.size()) + " bytes is too short");
    }
    const std::span<const std::uint8_t> rtu = std::span(frame.payload).subspan(kReplyHeaderSize);
    // Status replies: two bytes where the RTU frame would be.
    if (rtu.size() == 2) {
        if (rtu[1] == 0x00 && rtu[0] == kStatusWrongSerial) {
            reply.kind = ModbusReplyKind::kWrongSerial;
            return reply;
        }
        if (rtu[1] == 0x00 && rtu[0] == kStatusNoInverterAnswer) {
            reply.kind = ModbusReplyKind::kNoInverterAnswer;
            return reply;
        }
        return BadReply("unknown status " + Hex(rtu[0], 2) + " " + Hex(rtu[1], 2));
    }
    if (rtu.size() < 5) return BadReply("RTU frame of " + std::to_string(rtu.size()) + " bytes is too short");
    reply.slave = rtu[0];
    reply.function = rtu[1];
    std::size_t body = 0;  // RTU bytes before the CRC
    if ((reply.function & kExceptionBit) != 0) {
        reply.kind = ModbusReplyKind::kException;
        reply.function = static_cast<std::uint8_t>(reply.function & ~kExceptionBit);
        reply.exception_code = rtu[2];
        body = 3;
    } else if (reply.function == kReadHoldingRegisters || reply.function == kReadInputRegisters) {
        const std::size_t byte_count = rtu[2];
        if (byte_count % 2 != 0) return BadReply("odd byte count " + std::to_string(byte_count));
        body = 3 + byte_count;
    } else {
        return BadReply("unsupported function " + Hex(reply.function, 2));
    }
    if (rtu.size() == body + 4) {
        reply.double_crc = true;  // the logger appended two bytes after the CRC: ignore them
    } else if (rtu.size() != body + 2) {
        return BadReply("RTU frame of " + std::to_string(rtu.size()) + " bytes, the byte count implies " +
                        std::to_string(body + 2));
    }
    if (!CrcMatches(rtu, body)) {
        return BadReply("RTU CRC " + Hex(rtu[body] | (rtu[body + 1] << 8), 4) + " does not match computed " +
                        Hex(Crc16Modbus(rtu.first(body)), 4));
    }
    if (reply.kind == ModbusReplyKind::kRegisters) {
        const ByteReader reader(rtu);
        reply.registers.resize((body - 3) / 2);
        for (std::size_t i = 0; i < reply.registers.size(); ++i) (void)reader.U16BeAt(3 + 2 * i, reply.registers[i]);
    }
    return reply;
}

Result<DataReport> DecodeRegisters(const FieldMap& map, std::span<const RegisterBlock> blocks) {
    if (map.layout != MapLayout::kHoldingRegisters) {
        return MakeError(Errc::kInvalidArgument,
                         "solarman registers: field map \"" + map.name + "\" is not a holding-register map");
    }
    // Each block as big-endian bytes, the way the registers came off the wire.
    std::vector<std::vector<std::uint8_t>> images;
    images.reserve(blocks.size());
    for (const RegisterBlock& block : blocks) {
        std::vector<std::uint8_t>& image = images.emplace_back();
        image.reserve(block.values.size() * 2);
        for (const std::uint16_t v : block.values) {
            image.push_back(static_cast<std::uint8_t>(v >> 8));
            image.push_back(static_cast<std::uint8_t>(v));
        }
    }
    DataReport report;
    DecodeFields(
        map,
        [&](std::uint32_t reg, std::uint32_t size) -> std::optional<std::span<const std::uint8_t>> {
            for (std::size_t i = 0; i < blocks.size(); ++i) {
                if (reg < blocks[i].start) continue;
                const std::uint64_t byte_offset = std::uint64_t{reg - blocks[i].start} * 2;
                if (byte_offset + size <= images[i].size()) {
                    return std::span<const std::uint8_t>(images[i]).subspan(byte_offset, size);
                }
            }
            return std::nullopt;
        },
        report);
    if (const std::string* serial = report.FindAttribute("inverter_serial")) report.inverter_serial = *serial;
    return report;
}

std::vector<RegisterRange> PlanRegisterReads(const FieldMap& map, std::uint16_t max_count, std::uint16_t max_gap) {
    std::vector<RegisterRange> ranges;
    if (map.layout != MapLayout::kHoldingRegisters || max_count == 0) return ranges;
    // [first, last] register spans of the fields, sorted.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;
    for (const FieldSpec& field : map.fields) {
        const std::uint32_t size = WireSize(field.type, field.length);
        if (size == 0) continue;
        const std::uint32_t last = field.offset + (size + 1) / 2 - 1;
        if (last > 0xFFFF || (size + 1) / 2 > max_count) continue;  // invalid map or unreadable in one request
        spans.emplace_back(field.offset, last);
    }
    std::sort(spans.begin(), spans.end());
    for (const auto& [first, last] : spans) {
        if (!ranges.empty()) {
            RegisterRange& open = ranges.back();
            const std::uint32_t open_end = std::uint32_t{open.start} + open.count;  // one past the last
            const std::uint32_t new_end = std::max(open_end, last + 1);
            if (first <= open_end + max_gap && new_end - open.start <= max_count) {
                open.count = static_cast<std::uint16_t>(new_end - open.start);
                continue;
            }
            if (last < open_end) continue;  // already covered
        }
        ranges.push_back({static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last - first + 1)});
    }
    return ranges;
}

}  // namespace mh::ingest::solarman
