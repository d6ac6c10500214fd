#include "ingest/solarman/framer.hpp"

#include <string>

namespace mh::ingest::solarman {

void Framer::Reset() noexcept {
    buffer_.clear();
    head_ = 0;
}

Status Framer::Feed(std::span<const std::uint8_t> bytes) {
    if (bytes.size() > max_buffer_ - buffered()) {
        const std::size_t had = buffered();
        Reset();
        return MakeError(Errc::kResourceExhausted, "solarman framer: buffer limit of " + std::to_string(max_buffer_) +
                                                       " bytes exceeded (" + std::to_string(had) + " buffered, " +
                                                       std::to_string(bytes.size()) + " more arrived)");
    }
    if (head_ > 0 && head_ >= buffer_.size() / 2) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    return Ok();
}

Result<std::optional<std::vector<std::uint8_t>>> Framer::Next() {
    const std::span<const std::uint8_t> pending(buffer_.data() + head_, buffered());
    if (pending.empty()) return std::optional<std::vector<std::uint8_t>>();
    std::size_t frame_size = 0;
    const FrameFault fault = InspectFrame(pending, frame_size);
    if (fault == FrameFault::kTruncated) return std::optional<std::vector<std::uint8_t>>();
    if (fault != FrameFault::kNone) {
        Error error = DescribeFrameFault(fault, pending, frame_size);
        error.message += "; dropped " + std::to_string(pending.size()) + " buffered bytes";
        Reset();
        return error;
    }
    std::vector<std::uint8_t> frame(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(frame_size));
    head_ += frame_size;
    if (head_ == buffer_.size()) Reset();
    return std::optional<std::vector<std::uint8_t>>(std::move(frame));
}

}  // namespace mh::ingest::solarman
