#include "core/ids.hpp"

namespace mh {
namespace {
constexpr std::int64_t kEpochMs = 1704067200000;  // 2024-01-01T00:00:00Z
constexpr int kNodeBits = 10;
constexpr int kSequenceBits = 12;
constexpr std::int64_t kMaxSequence = (std::int64_t{1} << kSequenceBits) - 1;
}  // namespace

IdGenerator::IdGenerator(const Clock& clock, std::uint32_t node)
    : clock_(clock), node_(node & ((1u << kNodeBits) - 1)) {}

void IdGenerator::SetNode(std::uint32_t node) {
    std::lock_guard lock(mutex_);
    node_ = node & ((1u << kNodeBits) - 1);
}

std::uint32_t IdGenerator::node() const {
    std::lock_guard lock(mutex_);
    return node_;
}

std::int64_t IdGenerator::Next() {
    std::lock_guard lock(mutex_);
    std::int64_t ms = ToMillis(clock_.Now()) - kEpochMs;
    if (ms < 0) ms = 0;
    if (ms <= last_ms_) {
        // Same millisecond, or the clock went back: keep counting from the last one so ids stay unique.
        ms = last_ms_;
        if (++sequence_ > kMaxSequence) {
            ++ms;
            sequence_ = 0;
        }
    } else {
        sequence_ = 0;
    }
    last_ms_ = ms;
    return (ms << (kNodeBits + kSequenceBits)) | (std::int64_t{node_} << kSequenceBits) | sequence_;
}

}  // namespace mh
