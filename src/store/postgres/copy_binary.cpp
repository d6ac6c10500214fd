#include "store/postgres/copy_binary.hpp"

#include "store/postgres/wire.hpp"

namespace mh::store::postgres {
namespace {

// "PGCOPY\n\377\r\n\0", then flags (no OIDs) and the header extension's length, both 0.
constexpr char kHeader[] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0', 0, 0, 0, 0, 0, 0, 0, 0};

void AppendInt16(std::string& out, std::int16_t value) {
    out.push_back(static_cast<char>((value >> 8) & 0xff));
    out.push_back(static_cast<char>(value & 0xff));
}

void AppendInt32(std::string& out, std::int32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

}  // namespace

CopyBinary::CopyBinary() {
    Clear();
}

void CopyBinary::Clear() {
    bytes_.assign(kHeader, sizeof(kHeader));
}

void CopyBinary::Row(std::int16_t fields) {
    AppendInt16(bytes_, fields);
}

void CopyBinary::Int8(std::int64_t value) {
    AppendInt32(bytes_, 8);
    AppendInt64(bytes_, value);
}

void CopyBinary::Float8(double value) {
    AppendInt32(bytes_, 8);
    AppendFloat64(bytes_, value);
}

std::span<const std::uint8_t> CopyBinary::Finish() {
    AppendInt16(bytes_, -1);
    return {reinterpret_cast<const std::uint8_t*>(bytes_.data()), bytes_.size()};
}

}  // namespace mh::store::postgres
