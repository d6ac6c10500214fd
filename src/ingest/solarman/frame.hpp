// The Solarman V5 frame: the envelope every message between a logger stick and a server travels in
// (docs/protocols/solarman-v5.md, "Frame"). Constants here and that document change together.
//
//   A5 | length u16 LE | control u16 LE | seq A | seq B | logger serial u32 LE | payload | checksum | 15
//
// DecodeFrame validates one complete frame and copies it out; EncodeFrame writes one. Both are pure
// functions of their arguments and safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace mh::ingest::solarman {

inline constexpr std::uint8_t kStartByte = 0xA5;
inline constexpr std::uint8_t kEndByte = 0x15;
inline constexpr std::size_t kHeaderSize = 11;  // start, length, control, two sequence bytes, serial
inline constexpr std::size_t kTrailerSize = 2;  // checksum, end
inline constexpr std::size_t kMinFrameSize = kHeaderSize + kTrailerSize;
// The protocol's length field could announce 65535 bytes; real payloads are at most a few hundred (the largest
// known, TSUN 0x02B0 data, has 409). Anything above this cap is garbage, and the framer must not wait for it.
inline constexpr std::size_t kMaxPayloadSize = 1024;
inline constexpr std::size_t kMaxFrameSize = kMaxPayloadSize + kMinFrameSize;
// The low byte of every control code is 0x10; the high byte is the message type.
inline constexpr std::uint8_t kControlLowByte = 0x10;

// Control codes (u16 as read little-endian from frame bytes 3..4). Any other value may appear on the wire:
// the enum holds it as is (static_cast), ControlCodeName() then says "unknown".
enum class ControlCode : std::uint16_t {
    // Logger -> server; the server acknowledges each with message type - 0x30 (reply.hpp).
    kHello = 0x4110,      // handshake / device data (firmware, IP, MAC, SSID, intervals)
    kData = 0x4210,       // inverter data (frame type 0x01 real time, 0x81 historic)
    kInfo = 0x4310,       // wifi / info, "sync start"
    kHeartbeat = 0x4710,  // payload `00`; also sent spontaneously to Modbus clients
    kHelloEnd = 0x4810,   // report / "hello end" / "sync end"
    // Server -> logger acknowledgements.
    kHelloReply = 0x1110,
    kDataReply = 0x1210,
    kInfoReply = 0x1310,
    kHeartbeatReply = 0x1710,
    kHelloEndReply = 0x1810,
    // Pull mode: client -> logger (port 8899) and back.
    kRequest = 0x4510,         // Modbus RTU (or AT command) request
    kRequestInterim = 0x0510,  // interim answer
    kRequestReply = 0x1510,    // Modbus RTU reply
};

// "hello", "data_reply", ...; "unknown" for codes not in the enum.
const char* ControlCodeName(ControlCode code) noexcept;
// "0x4210".
std::string FormatControlCode(ControlCode code);

constexpr std::uint8_t MessageType(ControlCode code) noexcept {
    return static_cast<std::uint8_t>(static_cast<std::uint16_t>(code) >> 8);
}

struct Frame {
    ControlCode control = ControlCode::kHeartbeat;
    // Byte 5: the requester's counter in client mode; in server mode the logger's copy of the last value the
    // server acknowledged with. Byte 6: the logger's own counter.
    std::uint8_t server_sequence = 0;
    std::uint8_t logger_sequence = 0;
    std::uint32_t logger_serial = 0;  // decimal is what is printed on the stick
    std::vector<std::uint8_t> payload;

    friend bool operator==(const Frame&, const Frame&) = default;
};

// What is wrong with a byte string that should be one frame. kNone: it is one valid frame.
enum class FrameFault {
    kNone,
    kTruncated,       // shorter than 13 bytes or than the length field says (more bytes may follow on a stream)
    kBadStart,        // byte 0 is not 0xA5
    kAbsurdLength,    // the length field exceeds kMaxPayloadSize
    kBadControlCode,  // byte 3 is not 0x10
    kBadEnd,          // the byte after the checksum is not 0x15
    kBadChecksum,     // the checksum byte does not match
    kTrailingBytes,   // bytes after the end byte (DecodeFrame takes exactly one frame)
};

const char* FrameFaultName(FrameFault fault) noexcept;

// Checks the frame at the start of `bytes`, in the order a stream reader needs: start byte, length cap and
// control byte are judged as soon as they are present, so garbage is reported before "truncated".
// `frame_size` receives the size the length field announces (0 until three bytes are present).
// Trailing bytes after a complete frame are not a fault here.
FrameFault InspectFrame(std::span<const std::uint8_t> bytes, std::size_t& frame_size) noexcept;

// The error for `fault`, found by InspectFrame(bytes, frame_size) (or kTrailingBytes): Errc::kInvalidArgument,
// message "solarman frame: <fault name>: <details>".
Error DescribeFrameFault(FrameFault fault, std::span<const std::uint8_t> bytes, std::size_t frame_size);

// The V5 checksum of a complete frame: the sum of bytes 1 .. size-3 (everything except the start byte, the
// checksum and the end byte), mod 256. `frame` must hold at least kMinFrameSize bytes.
std::uint8_t FrameChecksum(std::span<const std::uint8_t> frame) noexcept;

// Decodes exactly one frame. Errors (Errc::kInvalidArgument) start with "solarman frame: " and name the fault.
Result<Frame> DecodeFrame(std::span<const std::uint8_t> bytes);

// Encodes a frame with its length, checksum and end byte. Throws std::length_error if the payload exceeds
// kMaxPayloadSize: frames we build are small, so that is a bug, not input.
std::vector<std::uint8_t> EncodeFrame(const Frame& frame);

}  // namespace mh::ingest::solarman
