// The server's reply to a logger-pushed frame: the 23-byte acknowledgement that also sets the logger's clock
// (docs/protocols/solarman-v5.md, "Server reply"). Without it the logger retries, reconnects, and a Deye micro
// inverter never resets its daily yield. Pure functions; safe from any thread.
#pragma once

#include <cstdint>

#include "core/result.hpp"
#include "core/time.hpp"
#include "ingest/solarman/frame.hpp"

namespace mh::ingest::solarman {

inline constexpr std::size_t kReplyPayloadSize = 10;
inline constexpr std::uint8_t kReplyStatusAccepted = 0x01;
// The reply's message type is the request's minus this (0x42 -> 0x12).
inline constexpr std::uint8_t kReplyTypeOffset = 0x30;

struct ReplyOptions {
    // Reply payload bytes 6..9 (frame offset 17), u32 LE. Its meaning is disputed: the Solarman cloud sends 120
    // (a time zone offset in minutes, or the next heartbeat interval), tsun-gen3-proxy sends 60, pysolarmanv5
    // and Hypfer's Deye server send 0. Loggers keep working with each; 0 is the default because it is what
    // the proven Deye replacement servers send.
    std::uint32_t trailer = 0;
};

// True for frames a server must acknowledge: every message type from 0x40 up except 0x45 (a request to the
// logger). That includes types this code does not know, so a logger with newer firmware keeps streaming.
// Replies (types 0x05, 0x1x) are never acknowledged, which rules out acknowledgement ping-pong.
bool NeedsReply(ControlCode control) noexcept;

// The acknowledgement of `request`, sent at `now`:
//   control  = request type - 0x30, low byte 0x10
//   byte 5   = request byte 5 + 1 (mod 256); byte 6 = request byte 6; serial copied
//   payload  = frame type (request payload[0], 0x00 if the payload is empty), 0x01 (accepted),
//              `now` as Unix seconds u32 LE (floored; clamped to 0 .. 2^32-1), options.trailer u32 LE
// Fails with Errc::kInvalidArgument when !NeedsReply(request.control).
Result<Frame> BuildReply(const Frame& request, Timestamp now, const ReplyOptions& options = {});

}  // namespace mh::ingest::solarman
