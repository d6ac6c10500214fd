// Pull mode: Modbus RTU tunnelled through V5 frames to a logger's port 8899 (docs/protocols/solarman-v5.md,
// "Pull mode"). EncodeModbusRead builds the 0x4510 request; DecodeModbusReply reads the 0x1510 answer with the
// loggers' quirks (status replies, a spurious trailing "double CRC"); DecodeRegisters turns register blocks
// into samples through a holding-register FieldMap. Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "ingest/solarman/field_map.hpp"
#include "ingest/solarman/frame.hpp"
#include "ingest/solarman/payload.hpp"

namespace mh::ingest::solarman {

inline constexpr std::uint8_t kReadHoldingRegisters = 0x03;
inline constexpr std::uint8_t kReadInputRegisters = 0x04;
inline constexpr std::uint16_t kMaxReadCount = 125;    // Modbus limit for one read
inline constexpr std::size_t kRequestHeaderSize = 15;  // request payload before the RTU frame
inline constexpr std::size_t kReplyHeaderSize = 14;    // reply payload before the RTU frame

// CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF). On the wire the low byte comes first.
std::uint16_t Crc16Modbus(std::span<const std::uint8_t> bytes) noexcept;

// The complete request frame: control 0x4510, byte 5 = `sequence`, byte 6 = 0, payload = frame type 0x02,
// sensor type 0, three zero u32, then RTU `slave function start(BE) count(BE) crc(LE)`.
// Errc::kInvalidArgument unless 1 <= count <= 125 and function is 0x03 or 0x04.
Result<std::vector<std::uint8_t>> EncodeModbusRead(std::uint32_t logger_serial, std::uint8_t sequence,
                                                   std::uint8_t slave, std::uint16_t start_register,
                                                   std::uint16_t count, std::uint8_t function = kReadHoldingRegisters);

enum class ModbusReplyKind {
    kRegisters,         // a normal read reply: `registers` holds the values
    kException,         // the inverter answered with a Modbus exception: `exception_code`
    kWrongSerial,       // status `06 00`: the request named another logger; `logger_serial` is the real one
    kNoInverterAnswer,  // status `05 00`: the inverter did not answer (bad slave address, too many registers)
    kInterim,           // control 0x0510: an interim answer; wait for the 0x1510
};

struct ModbusReply {
    ModbusReplyKind kind = ModbusReplyKind::kRegisters;
    std::uint32_t logger_serial = 0;  // from the frame header
    std::uint8_t sequence = 0;        // frame byte 5: echoes the request's; match replies on it alone
    std::uint8_t slave = 0;
    std::uint8_t function = 0;
    std::uint8_t exception_code = 0;
    std::vector<std::uint16_t> registers;
    bool double_crc = false;  // two spurious bytes followed the RTU CRC (DEYE and some loggers)
};

// Reads a reply frame. Errors (Errc::kInvalidArgument): not 0x1510/0x0510, payload too short, an unknown
// status, an unsupported function, a byte count that disagrees with the frame, or a CRC mismatch. A spontaneous
// heartbeat (0x4710) is not a reply: the caller skips it before calling this.
Result<ModbusReply> DecodeModbusReply(const Frame& frame);

// Values of a run of registers read in one request.
struct RegisterBlock {
    std::uint16_t start = 0;
    std::vector<std::uint16_t> values;
};

// Evaluates a holding-register map over the blocks read. Fields whose registers are not all inside one block
// are named in DataReport::skipped ("not read"); an "inverter_serial" field also fills
// DataReport::inverter_serial. Errc::kInvalidArgument if the map is not a register map.
Result<DataReport> DecodeRegisters(const FieldMap& map, std::span<const RegisterBlock> blocks);

// The reads that cover every register of a map: sorted runs of at most `max_count` registers, bridging gaps of
// up to `max_gap` unused registers (one request is cheaper than two).
struct RegisterRange {
    std::uint16_t start = 0;
    std::uint16_t count = 0;

    friend bool operator==(const RegisterRange&, const RegisterRange&) = default;
};
std::vector<RegisterRange> PlanRegisterReads(const FieldMap& map, std::uint16_t max_count = kMaxReadCount,
                                             std::uint16_t max_gap = 8);

}  // namespace mh::ingest::solarman
