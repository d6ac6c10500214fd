// BitWriter / BitReader: the bit stream of a chunk (docs/chunk_format.md, "Bit stream"). Private to src/tsdb.
//
// Bits are packed most significant first. Both sides work on whole 64-bit words (one shift and one or per
// code, never a loop over bits), because the codec's speed is mostly the speed of these few lines.
#pragma once

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace mh::tsdb {

inline std::uint64_t LoadBigEndian64(const std::uint8_t* p) noexcept {
    std::uint64_t word = 0;
    std::memcpy(&word, p, sizeof word);
    if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
    return word;
}

inline void StoreBigEndian64(std::uint8_t* p, std::uint64_t word) noexcept {
    if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
    std::memcpy(p, &word, sizeof word);
}

// Appends bits to the end of a byte vector. The vector is used as the buffer: it may be grown past the
// written bytes while writing; Finish() pads the last byte with zero bits and trims it to the written size.
class BitWriter {
  public:
    explicit BitWriter(std::vector<std::uint8_t>& out) : out_(out), size_(out.size()) {}

    // Appends the low `width` bits of `bits` (1 <= width <= 64), most significant first. Bits of `bits` above
    // `width` must be zero.
    void Write(std::uint64_t bits, unsigned width) {
        assert(width >= 1 && width <= 64);
        assert(width == 64 || (bits >> width) == 0);
        const unsigned free = 64 - used_;  // 1..64: the word is flushed as soon as it is full
        if (width < free) {
            acc_ |= bits << (free - width);
            used_ += width;
            return;
        }
        acc_ |= bits >> (width - free);
        Reserve(8);
        StoreBigEndian64(out_.data() + size_, acc_);
        size_ += 8;
        used_ = width - free;
        acc_ = used_ == 0 ? 0 : bits << (64 - used_);
    }

    // Flushes the partial word (zero-padded to a byte boundary) and trims the vector. Write no more after it.
    void Finish() {
        const std::size_t tail = (used_ + 7) / 8;
        Reserve(8);
        StoreBigEndian64(out_.data() + size_, acc_);
        size_ += tail;
        out_.resize(size_);
        acc_ = 0;
        used_ = 0;
    }

  private:
    void Reserve(std::size_t bytes) {
        if (out_.size() < size_ + bytes) out_.resize(std::max(out_.size() * 2, size_ + bytes));
    }

    std::vector<std::uint8_t>& out_;
    std::size_t size_;       // bytes written to out_ so far (out_.size() may be larger)
    std::uint64_t acc_ = 0;  // pending bits, first one in the most significant position
    unsigned used_ = 0;      // number of pending bits in acc_, 0..63
};

// Reads bits from a byte range. Reading past the end is not prevented but harmless: bits beyond the end read
// as zero and only advance the position, so decoders run their loops unchecked and ask Overrun() once after.
class BitReader {
  public:
    // Peek() returns at least this many of the stream's bits; a single Skip() or Read() may take at most as many.
    static constexpr unsigned kPeekBits = 57;

    BitReader(const std::uint8_t* data, std::size_t size) noexcept
        : data_(data), size_(size), end_(static_cast<std::uint64_t>(size) * 8) {}

    // The next bits, first one in the most significant position. Only the top kPeekBits are guaranteed to be
    // the stream's; the rest may be zero.
    std::uint64_t Peek() noexcept {
        if (avail_ < kPeekBits) Refill();
        return buffer_;
    }

    // Advances past `bits` (at most kPeekBits) bits; call after Peek().
    void Skip(unsigned bits) noexcept {
        assert(bits <= avail_);
        buffer_ <<= bits;
        avail_ -= bits;
        pos_ += bits;
    }

    // Reads `width` bits (0 <= width <= kPeekBits) as an unsigned number.
    std::uint64_t Read(unsigned width) noexcept {
        assert(width <= kPeekBits);
        const std::uint64_t bits = Peek() >> (63 - width) >> 1;  // two shifts: width 0 must give 0
        Skip(width);
        return bits;
    }

    // Reads `width` bits (0 <= width <= 64).
    std::uint64_t ReadWide(unsigned width) noexcept {
        if (width <= kPeekBits) return Read(width);
        const std::uint64_t high = Read(width - 32);
        return (high << 32) | Read(32);
    }

    bool Overrun() const noexcept { return pos_ > end_; }
    // Bits between the position and the end; meaningful only when !Overrun().
    std::uint64_t Remaining() const noexcept { return end_ - pos_; }

  private:
    // Loads the 64 bits from the byte holding pos_ on (zeros past the end) and drops the ones before pos_.
    void Refill() noexcept {
        const std::uint64_t byte = pos_ >> 3;
        std::uint64_t word = 0;
        if (byte + 8 <= size_) [[likely]] {
            word = LoadBigEndian64(data_ + byte);
        } else {
            for (std::uint64_t i = 0; i < 8 && byte + i < size_; ++i) {
                word |= static_cast<std::uint64_t>(data_[byte + i]) << (56 - 8 * i);
            }
        }
        const auto offset = static_cast<unsigned>(pos_ & 7);
        buffer_ = word << offset;
        avail_ = 64 - offset;
    }

    const std::uint8_t* data_;
    std::size_t size_;
    std::uint64_t end_;         // size_ in bits
    std::uint64_t pos_ = 0;     // bits consumed
    std::uint64_t buffer_ = 0;  // the bits from pos_ on, first one in the most significant position
    unsigned avail_ = 0;        // how many of buffer_'s bits are loaded (the rest are zero)
};

}  // namespace mh::tsdb
