// ByteReader: a bounds-checked reader of little- and big-endian fields over a byte span.
//
// Every read checks the span's end first and reports failure as `false` without moving, so decoders of
// untrusted wire bytes cannot read out of bounds whatever the input. Reads are either sequential (from the
// cursor, which advances) or positional (`...At(offset)`, which leave the cursor alone). The reader does not
// own the bytes; the span must outlive it. Not thread-safe (it has a cursor); positional reads are const.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace mh::ingest::solarman {

class ByteReader {
  public:
    explicit ByteReader(std::span<const std::uint8_t> bytes) noexcept : bytes_(bytes) {}

    std::size_t size() const noexcept { return bytes_.size(); }
    std::size_t position() const noexcept { return pos_; }
    std::size_t remaining() const noexcept { return bytes_.size() - pos_; }

    // True if `count` bytes from `offset` lie inside the span (no overflow for any arguments).
    bool Has(std::size_t offset, std::size_t count) const noexcept {
        return offset <= bytes_.size() && count <= bytes_.size() - offset;
    }

    bool Seek(std::size_t offset) noexcept {
        if (offset > bytes_.size()) return false;
        pos_ = offset;
        return true;
    }
    bool Skip(std::size_t count) noexcept {
        if (count > remaining()) return false;
        pos_ += count;
        return true;
    }

    // ---- Positional reads: the cursor does not move -------------------------------------------------------
    bool U8At(std::size_t offset, std::uint8_t& out) const noexcept {
        if (!Has(offset, 1)) return false;
        out = bytes_[offset];
        return true;
    }
    bool U16LeAt(std::size_t offset, std::uint16_t& out) const noexcept {
        std::uint64_t v = 0;
        if (!LittleAt(offset, 2, v)) return false;
        out = static_cast<std::uint16_t>(v);
        return true;
    }
    bool U16BeAt(std::size_t offset, std::uint16_t& out) const noexcept {
        std::uint64_t v = 0;
        if (!BigAt(offset, 2, v)) return false;
        out = static_cast<std::uint16_t>(v);
        return true;
    }
    bool U32LeAt(std::size_t offset, std::uint32_t& out) const noexcept {
        std::uint64_t v = 0;
        if (!LittleAt(offset, 4, v)) return false;
        out = static_cast<std::uint32_t>(v);
        return true;
    }
    bool U32BeAt(std::size_t offset, std::uint32_t& out) const noexcept {
        std::uint64_t v = 0;
        if (!BigAt(offset, 4, v)) return false;
        out = static_cast<std::uint32_t>(v);
        return true;
    }
    bool BytesAt(std::size_t offset, std::size_t count, std::span<const std::uint8_t>& out) const noexcept {
        if (!Has(offset, count)) return false;
        out = bytes_.subspan(offset, count);
        return true;
    }

    // ---- Sequential reads: from the cursor, which advances only on success ----------------------------------
    bool ReadU8(std::uint8_t& out) noexcept { return Advance(U8At(pos_, out), 1); }
    bool ReadU16Le(std::uint16_t& out) noexcept { return Advance(U16LeAt(pos_, out), 2); }
    bool ReadU16Be(std::uint16_t& out) noexcept { return Advance(U16BeAt(pos_, out), 2); }
    bool ReadU32Le(std::uint32_t& out) noexcept { return Advance(U32LeAt(pos_, out), 4); }
    bool ReadU32Be(std::uint32_t& out) noexcept { return Advance(U32BeAt(pos_, out), 4); }
    bool ReadBytes(std::size_t count, std::span<const std::uint8_t>& out) noexcept {
        return Advance(BytesAt(pos_, count, out), count);
    }

  private:
    bool LittleAt(std::size_t offset, std::size_t count, std::uint64_t& out) const noexcept {
        if (!Has(offset, count)) return false;
        out = 0;
        for (std::size_t i = 0; i < count; ++i) out |= static_cast<std::uint64_t>(bytes_[offset + i]) << (8 * i);
        return true;
    }
    bool BigAt(std::size_t offset, std::size_t count, std::uint64_t& out) const noexcept {
        if (!Has(offset, count)) return false;
        out = 0;
        for (std::size_t i = 0; i < count; ++i) out = (out << 8) | bytes_[offset + i];
        return true;
    }
    bool Advance(bool ok, std::size_t count) noexcept {
        if (ok) pos_ += count;
        return ok;
    }

    std::span<const std::uint8_t> bytes_;
    std::size_t pos_ = 0;
};

// Text of a fixed-size, NUL-padded ASCII field: stops at the first NUL, replaces bytes outside printable
// ASCII with '?' and drops trailing spaces, so wire garbage never reaches logs or the database as control
// characters.
inline std::string AsciiField(std::span<const std::uint8_t> bytes) {
    std::string text;
    text.reserve(bytes.size());
    for (const std::uint8_t byte : bytes) {
        if (byte == 0) break;
        text.push_back(byte >= 0x20 && byte < 0x7f ? static_cast<char>(byte) : '?');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text;
}

}  // namespace mh::ingest::solarman
