#include "store/postgres/wire.hpp"

#include <bit>
#include <cmath>
#include <limits>

namespace mh::store::postgres {
namespace {

std::uint64_t BigEndian(std::span<const std::uint8_t> bytes) {
    std::uint64_t value = 0;
    for (std::uint8_t b : bytes) value = (value << 8) | b;
    return value;
}

// numeric's binary form: ndigits, weight, sign, dscale (16 bits each), then ndigits base-10000 digits, the
// first worth 10000^weight. Sign 0x4000 is negative, 0xC000 NaN.
struct Numeric {
    bool negative = false;
    bool nan = false;
    int weight = 0;
    std::span<const std::uint8_t> digits;  // 2 bytes each
    std::size_t count() const { return digits.size() / 2; }
    int digit(std::size_t i) const { return static_cast<int>(BigEndian(digits.subspan(i * 2, 2))); }
};

std::optional<Numeric> ParseNumeric(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 8) return std::nullopt;
    Numeric n;
    const auto ndigits = BigEndian(bytes.subspan(0, 2));
    n.weight = static_cast<std::int16_t>(BigEndian(bytes.subspan(2, 2)));
    const auto sign = BigEndian(bytes.subspan(4, 2));
    if (bytes.size() != 8 + ndigits * 2) return std::nullopt;
    n.negative = sign == 0x4000;
    n.nan = sign == 0xC000;
    n.digits = bytes.subspan(8);
    return n;
}

}  // namespace

bool IsReadableType(Oid type) {
    switch (type) {
        case kBoolOid:
        case kByteaOid:
        case kNameOid:
        case kInt8Oid:
        case kInt2Oid:
        case kInt4Oid:
        case kTextOid:
        case kFloat4Oid:
        case kFloat8Oid:
        case kUnknownOid:
        case kBpcharOid:
        case kVarcharOid:
        case kNumericOid: return true;
        default: return false;
    }
}

std::string TypeName(Oid type) {
    switch (type) {
        case kBoolOid: return "bool";
        case kByteaOid: return "bytea";
        case kNameOid: return "name";
        case kInt8Oid: return "int8";
        case kInt2Oid: return "int2";
        case kInt4Oid: return "int4";
        case kTextOid: return "text";
        case kFloat4Oid: return "float4";
        case kFloat8Oid: return "float8";
        case kUnknownOid: return "unknown";
        case kBpcharOid: return "bpchar";
        case kVarcharOid: return "varchar";
        case kNumericOid: return "numeric";
        default: return "type oid " + std::to_string(type);
    }
}

void AppendInt64(std::string& out, std::int64_t value) {
    const auto bits = static_cast<std::uint64_t>(value);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((bits >> shift) & 0xff));
}

void AppendFloat64(std::string& out, double value) {
    AppendInt64(out, static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(value)));
}

std::optional<std::int64_t> ReadInt(Oid type, std::span<const std::uint8_t> bytes) {
    switch (type) {
        case kBoolOid:
            if (bytes.size() != 1) return std::nullopt;
            return bytes[0] != 0 ? 1 : 0;
        case kInt2Oid:
            if (bytes.size() != 2) return std::nullopt;
            return static_cast<std::int16_t>(BigEndian(bytes));
        case kInt4Oid:
            if (bytes.size() != 4) return std::nullopt;
            return static_cast<std::int32_t>(BigEndian(bytes));
        case kInt8Oid:
            if (bytes.size() != 8) return std::nullopt;
            return static_cast<std::int64_t>(BigEndian(bytes));
        case kFloat4Oid:
        case kFloat8Oid: {
            const auto real = ReadReal(type, bytes);
            if (!real || !std::isfinite(*real)) return std::nullopt;
            return static_cast<std::int64_t>(*real);
        }
        case kNumericOid: {
            const auto n = ParseNumeric(bytes);
            if (!n || n->nan) return std::nullopt;
            // The integer part: the digits up to weight. A fraction is truncated (a cast to bigint would round);
            // the sums this serves (SUM over bigint) have none.
            std::int64_t value = 0;
            for (int i = 0; i <= n->weight; ++i) {
                if (value > (std::numeric_limits<std::int64_t>::max() - 9999) / 10000) return std::nullopt;
                value = value * 10000 + (static_cast<std::size_t>(i) < n->count() ? n->digit(i) : 0);
            }
            return n->negative ? -value : value;
        }
        default: return std::nullopt;
    }
}

std::optional<double> ReadReal(Oid type, std::span<const std::uint8_t> bytes) {
    switch (type) {
        case kFloat4Oid:
            if (bytes.size() != 4) return std::nullopt;
            return std::bit_cast<float>(static_cast<std::uint32_t>(BigEndian(bytes)));
        case kFloat8Oid:
            if (bytes.size() != 8) return std::nullopt;
            return std::bit_cast<double>(BigEndian(bytes));
        case kNumericOid: {
            const auto n = ParseNumeric(bytes);
            if (!n) return std::nullopt;
            if (n->nan) return std::numeric_limits<double>::quiet_NaN();
            double value = 0;
            for (std::size_t i = 0; i < n->count(); ++i) {
                value += n->digit(i) * std::pow(10000.0, n->weight - static_cast<int>(i));
            }
            return n->negative ? -value : value;
        }
        default: {
            const auto integer = ReadInt(type, bytes);
            if (!integer) return std::nullopt;
            return static_cast<double>(*integer);
        }
    }
}

}  // namespace mh::store::postgres
