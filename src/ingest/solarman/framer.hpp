// Framer: cuts a TCP byte stream from a logger into V5 frames.
//
// Feed() appends what a read returned; Next() hands out one complete, validated frame at a time (start byte,
// length cap, control byte, end byte and checksum checked; decode it with DecodeFrame). A read may carry a
// part of a frame, several frames, or a reply with a stray heartbeat glued on: all come out in order.
//
// Garbage policy (docs/protocols/solarman-v5.md, "Stream handling"): a bad start byte, an absurd length, a bad
// control byte, a bad end byte or a bad checksum makes Next() return an error AND discard everything buffered.
// The framer does not hunt for the next 0xA5, because 0xA5 is common inside payloads and a false start with a
// plausible length would stall the stream; this is what tsun-gen3-proxy does. The next Feed() starts afresh,
// so a connection recovers if the peer's next write begins with a frame (loggers write one message per
// write). The caller decides whether to keep the connection: drop it when errors repeat or when the first
// bytes ever received are garbage (the peer does not speak V5).
//
// The buffer never holds more than `max_buffer` bytes: a Feed() that would exceed it is refused with
// Errc::kResourceExhausted and discards the buffer too. Call Next() until it returns no frame before feeding
// more; then the buffer holds at most one partial frame, so max_buffer >= kMaxFrameSize + the largest read
// never overflows on a well-behaved stream.
//
// Not thread-safe: one framer per connection, used by that connection's strand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "ingest/solarman/frame.hpp"

namespace mh::ingest::solarman {

class Framer {
  public:
    explicit Framer(std::size_t max_buffer) : max_buffer_(max_buffer) {}

    Status Feed(std::span<const std::uint8_t> bytes);

    // The next complete frame's bytes; std::nullopt when more bytes are needed; an error (Errc::kInvalidArgument,
    // message from DecodeFrame's vocabulary) for garbage, after which the buffer is empty.
    Result<std::optional<std::vector<std::uint8_t>>> Next();

    // Bytes buffered and not yet handed out.
    std::size_t buffered() const noexcept { return buffer_.size() - head_; }
    std::size_t max_buffer() const noexcept { return max_buffer_; }
    void Reset() noexcept;

  private:
    std::size_t max_buffer_;
    std::vector<std::uint8_t> buffer_;
    std::size_t head_ = 0;  // bytes before head_ were handed out; compacted lazily
};

}  // namespace mh::ingest::solarman
