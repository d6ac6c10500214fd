// PostgreSQL's binary wire formats for the types the driver trades in: type OIDs, big-endian integers and
// floats, and the numeric type's base-10000 digits (what SUM over a bigint column returns).
//
// The OIDs are PostgreSQL's fixed built-in ones (pg_type.dat), spelled here so that the driver needs only
// libpq's client headers. Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace mh::store::postgres {

using Oid = unsigned int;

inline constexpr Oid kBoolOid = 16;
inline constexpr Oid kByteaOid = 17;
inline constexpr Oid kNameOid = 19;
inline constexpr Oid kInt8Oid = 20;
inline constexpr Oid kInt2Oid = 21;
inline constexpr Oid kInt4Oid = 23;
inline constexpr Oid kTextOid = 25;
inline constexpr Oid kFloat4Oid = 700;
inline constexpr Oid kFloat8Oid = 701;
inline constexpr Oid kUnknownOid = 705;
inline constexpr Oid kBpcharOid = 1042;
inline constexpr Oid kVarcharOid = 1043;
inline constexpr Oid kNumericOid = 1700;

// Whether the driver reads columns of this type (the rest must be cast in SQL).
bool IsReadableType(Oid type);
// "int8", "numeric", ... or the number, for messages.
std::string TypeName(Oid type);

void AppendInt64(std::string& out, std::int64_t value);
void AppendFloat64(std::string& out, double value);

// A binary value of `type` as a number; nothing for a type that is not a number (or malformed bytes).
std::optional<std::int64_t> ReadInt(Oid type, std::span<const std::uint8_t> bytes);
std::optional<double> ReadReal(Oid type, std::span<const std::uint8_t> bytes);

}  // namespace mh::store::postgres
