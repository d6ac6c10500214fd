#include "ingest/solarman/reply.hpp"

#include <cstdint>
#include <limits>

namespace mh::ingest::solarman {

bool NeedsReply(ControlCode control) noexcept {
    const std::uint8_t type = MessageType(control);
    return type >= 0x40 && type != MessageType(ControlCode::kRequest);
}

namespace {

std::uint32_t UnixSeconds(Timestamp now) {
    std::int64_t ms = ToMillis(now);
    // Floor division, so an instant just before a second boundary reports the second it is in.
    std::int64_t seconds = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
    if (seconds < 0) return 0;
    if (seconds > std::numeric_limits<std::uint32_t>::max()) return std::numeric_limits<std::uint32_t>::max();
    return static_cast<std::uint32_t>(seconds);
}

void PutU32Le(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace

Result<Frame> BuildReply(const Frame& request, Timestamp now, const ReplyOptions& options) {
    if (!NeedsReply(request.control)) {
        return MakeError(Errc::kInvalidArgument, "solarman reply: " + FormatControlCode(request.control) + " (" +
                                                     ControlCodeName(request.control) + ") is not acknowledged");
    }
    const auto type = static_cast<std::uint8_t>(MessageType(request.control) - kReplyTypeOffset);
    Frame reply;
    reply.control = static_cast<ControlCode>((type << 8) | kControlLowByte);
    reply.server_sequence = static_cast<std::uint8_t>(request.server_sequence + 1);
    reply.logger_sequence = request.logger_sequence;
    reply.logger_serial = request.logger_serial;
    reply.payload.reserve(kReplyPayloadSize);
    reply.payload.push_back(request.payload.empty() ? std::uint8_t{0} : request.payload[0]);
    reply.payload.push_back(kReplyStatusAccepted);
    PutU32Le(reply.payload, UnixSeconds(now));
    PutU32Le(reply.payload, options.trailer);
    return reply;
}

}  // namespace mh::ingest::solarman
