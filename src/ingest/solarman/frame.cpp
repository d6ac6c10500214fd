#include "ingest/solarman/frame.hpp"

#include <cstdio>
#include <stdexcept>

#include "ingest/solarman/byte_reader.hpp"

namespace mh::ingest::solarman {

const char* ControlCodeName(ControlCode code) noexcept {
    switch (code) {
        case ControlCode::kHello: return "hello";
        case ControlCode::kHelloReply: return "hello_reply";
        case ControlCode::kData: return "data";
        case ControlCode::kDataReply: return "data_reply";
        case ControlCode::kInfo: return "info";
        case ControlCode::kInfoReply: return "info_reply";
        case ControlCode::kRequest: return "request";
        case ControlCode::kRequestInterim: return "request_interim";
        case ControlCode::kRequestReply: return "request_reply";
        case ControlCode::kHeartbeat: return "heartbeat";
        case ControlCode::kHeartbeatReply: return "heartbeat_reply";
        case ControlCode::kHelloEnd: return "hello_end";
        case ControlCode::kHelloEndReply: return "hello_end_reply";
    }
    return "unknown";
}

std::string FormatControlCode(ControlCode code) {
    char text[8];
    std::snprintf(text, sizeof text, "0x%04X", static_cast<unsigned>(code));
    return text;
}

const char* FrameFaultName(FrameFault fault) noexcept {
    switch (fault) {
        case FrameFault::kNone: return "none";
        case FrameFault::kTruncated: return "truncated";
        case FrameFault::kBadStart: return "bad start byte";
        case FrameFault::kAbsurdLength: return "absurd length";
        case FrameFault::kBadControlCode: return "bad control code";
        case FrameFault::kBadEnd: return "bad end byte";
        case FrameFault::kBadChecksum: return "bad checksum";
        case FrameFault::kTrailingBytes: return "trailing bytes";
    }
    return "unknown";
}

FrameFault InspectFrame(std::span<const std::uint8_t> bytes, std::size_t& frame_size) noexcept {
    frame_size = 0;
    const ByteReader reader(bytes);
    std::uint8_t start = 0;
    if (!reader.U8At(0, start)) return FrameFault::kTruncated;
    if (start != kStartByte) return FrameFault::kBadStart;
    std::uint16_t length = 0;
    if (!reader.U16LeAt(1, length)) return FrameFault::kTruncated;
    if (length > kMaxPayloadSize) return FrameFault::kAbsurdLength;
    frame_size = std::size_t{length} + kMinFrameSize;
    std::uint8_t control_low = 0;
    if (!reader.U8At(3, control_low)) return FrameFault::kTruncated;
    if (control_low != kControlLowByte) return FrameFault::kBadControlCode;
    if (bytes.size() < frame_size) return FrameFault::kTruncated;
    if (bytes[frame_size - 1] != kEndByte) return FrameFault::kBadEnd;
    if (bytes[frame_size - 2] != FrameChecksum(bytes.first(frame_size))) return FrameFault::kBadChecksum;
    return FrameFault::kNone;
}

std::uint8_t FrameChecksum(std::span<const std::uint8_t> frame) noexcept {
    unsigned sum = 0;
    for (std::size_t i = 1; i + kTrailerSize < frame.size(); ++i) sum += frame[i];
    return static_cast<std::uint8_t>(sum);
}

Error DescribeFrameFault(FrameFault fault, std::span<const std::uint8_t> bytes, std::size_t frame_size) {
    // Defensive about sizes: the arguments may not come from InspectFrame.
    const auto at = [&](std::size_t i) -> unsigned { return i < bytes.size() ? bytes[i] : 0u; };
    const bool whole = frame_size >= kMinFrameSize && frame_size <= bytes.size();
    char text[96];
    switch (fault) {
        case FrameFault::kTruncated:
            std::snprintf(text, sizeof text, "truncated: %zu bytes, need %zu", bytes.size(),
                          frame_size == 0 ? kMinFrameSize : frame_size);
            break;
        case FrameFault::kBadStart: std::snprintf(text, sizeof text, "bad start byte 0x%02X (want 0xA5)", at(0)); break;
        case FrameFault::kAbsurdLength:
            std::snprintf(text, sizeof text, "absurd length %u (at most %zu)", at(1) | (at(2) << 8), kMaxPayloadSize);
            break;
        case FrameFault::kBadControlCode:
            std::snprintf(text, sizeof text, "bad control code byte 0x%02X (want 0x10)", at(3));
            break;
        case FrameFault::kBadEnd:
            std::snprintf(text, sizeof text, "bad end byte 0x%02X (want 0x15)", whole ? at(frame_size - 1) : 0u);
            break;
        case FrameFault::kBadChecksum:
            std::snprintf(text, sizeof text, "bad checksum 0x%02X (computed 0x%02X)", whole ? at(frame_size - 2) : 0u,
                          whole ? unsigned{FrameChecksum(bytes.first(frame_size))} : 0u);
            break;
        case FrameFault::kTrailingBytes:
            std::snprintf(text, sizeof text, "trailing bytes: %zu after a %zu-byte frame",
                          bytes.size() > frame_size ? bytes.size() - frame_size : 0, frame_size);
            break;
        case FrameFault::kNone: std::snprintf(text, sizeof text, "no fault"); break;
    }
    return MakeError(Errc::kInvalidArgument, std::string("solarman frame: ") + text);
}

Result<Frame> DecodeFrame(std::span<const std::uint8_t> bytes) {
    std::size_t frame_size = 0;
    FrameFault fault = InspectFrame(bytes, frame_size);
    if (fault == FrameFault::kNone && bytes.size() != frame_size) fault = FrameFault::kTrailingBytes;
    if (fault != FrameFault::kNone) return DescribeFrameFault(fault, bytes, frame_size);

    const ByteReader reader(bytes);
    Frame frame;
    std::uint16_t control = 0;
    std::span<const std::uint8_t> payload;
    // InspectFrame proved the sizes; the reads cannot fail.
    (void)reader.U16LeAt(3, control);
    (void)reader.U8At(5, frame.server_sequence);
    (void)reader.U8At(6, frame.logger_sequence);
    (void)reader.U32LeAt(7, frame.logger_serial);
    (void)reader.BytesAt(kHeaderSize, frame_size - kMinFrameSize, payload);
    frame.control = static_cast<ControlCode>(control);
    frame.payload.assign(payload.begin(), payload.end());
    return frame;
}

std::vector<std::uint8_t> EncodeFrame(const Frame& frame) {
    if (frame.payload.size() > kMaxPayloadSize) {
        throw std::length_error("solarman EncodeFrame: payload of " + std::to_string(frame.payload.size()) +
                                " bytes exceeds the cap");
    }
    const auto length = static_cast<std::uint16_t>(frame.payload.size());
    const auto control = static_cast<std::uint16_t>(frame.control);
    std::vector<std::uint8_t> out;
    out.reserve(frame.payload.size() + kMinFrameSize);
    out.push_back(kStartByte);
    out.push_back(static_cast<std::uint8_t>(length));
    out.push_back(static_cast<std::uint8_t>(length >> 8));
    out.push_back(static_cast<std::uint8_t>(control));
    out.push_back(static_cast<std::uint8_t>(control >> 8));
    out.push_back(frame.server_sequence);
    out.push_back(frame.logger_sequence);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(frame.logger_serial >> (8 * i)));
    out.insert(out.end(), frame.payload.begin(), frame.payload.end());
    out.push_back(0);  // checksum placeholder: FrameChecksum skips it
    out.push_back(kEndByte);
    out[out.size() - 2] = FrameChecksum(out);
    return out;
}

}  // namespace mh::ingest::solarman
