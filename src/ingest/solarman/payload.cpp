#include "ingest/solarman/payload.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "ingest/solarman/byte_reader.hpp"

namespace mh::ingest::solarman {
namespace {

constexpr std::int64_t kMaxPlausibleDeviceTimeS = 4'102'444'800;  // 2100-01-01T00:00:00Z

// raw * scale + bias, computed as a division when the scale is 1/10^k-like (0.1, 0.01, ...): the quotient of
// two exact integers is the double nearest to the decimal (2248 / 10 == 224.8), while 2248 * 0.1 may be one
// ulp off it, which the chunk codec would then have to store as an arbitrary double.
// Runs for every numeric field of every frame, hence no libm call on the common path: a divisor can only be
// within 1e-9 of an integer >= 2 if it exceeds 1.5, and for those positive values adding 0.5 and truncating
// rounds as std::round does.
double ApplyScale(double raw, double scale, double bias) {
    if (std::fabs(scale) < 1.0) {
        const double divisor = 1.0 / scale;
        if (divisor > 1.5 && divisor < 2e9) {
            const auto rounded = static_cast<double>(static_cast<std::int64_t>(divisor + 0.5));
            if (rounded <= 1e9 && std::fabs(divisor - rounded) <= 1e-9 * rounded) {
                if (bias == 0.0) return raw / rounded;
                const double bias_units = bias * rounded;
                if (std::fabs(bias_units) < 1e15 && std::fabs(bias_units - std::round(bias_units)) < 1e-6) {
                    return (raw + std::round(bias_units)) / rounded;
                }
                return raw / rounded + bias;
            }
        }
    }
    return raw * scale + bias;
}

// A product of two decimals, rounded to 6 decimals so that 34.5 * 8.7 gives 300.15, not 300.15000000000003.
double RoundProduct(double x) {
    if (!std::isfinite(x) || std::fabs(x) >= 1e9) return x;
    return std::round(x * 1e6) / 1e6;
}

std::string FormatNumber(double v) {
    if (std::fabs(v) < 1e15 && v == std::trunc(v)) return std::to_string(static_cast<long long>(v));
    char text[32];
    const auto result = std::to_chars(text, text + sizeof text, v);
    return {text, result.ptr};
}

// The raw value of a numeric wire field: as a double (exact: at most 32 bits) and its unsigned bits.
struct Raw {
    double value = 0.0;
    std::uint32_t bits = 0;
};

bool ReadRaw(ValueType type, std::span<const std::uint8_t> bytes, Raw& raw) {
    const ByteReader reader(bytes);
    std::uint8_t u8 = 0;
    std::uint16_t u16 = 0;
    std::uint32_t u32 = 0;
    bool ok = false;
    switch (type) {
        case ValueType::kU8:
            ok = reader.U8At(0, u8);
            u32 = u8;
            raw.value = u8;
            break;
        case ValueType::kU16Le:
        case ValueType::kS16Le:
        case ValueType::kU16Be:
        case ValueType::kS16Be: {
            const bool le = type == ValueType::kU16Le || type == ValueType::kS16Le;
            ok = le ? reader.U16LeAt(0, u16) : reader.U16BeAt(0, u16);
            u32 = u16;
            const bool is_signed = type == ValueType::kS16Le || type == ValueType::kS16Be;
            raw.value = is_signed ? static_cast<double>(static_cast<std::int16_t>(u16)) : u16;
            break;
        }
        case ValueType::kU32Le:
        case ValueType::kS32Le:
        case ValueType::kU32Be:
        case ValueType::kS32Be:
        case ValueType::kU32LowWordFirst:
        case ValueType::kS32LowWordFirst: {
            if (type == ValueType::kU32Le || type == ValueType::kS32Le) {
                ok = reader.U32LeAt(0, u32);
            } else if (type == ValueType::kU32Be || type == ValueType::kS32Be) {
                ok = reader.U32BeAt(0, u32);
            } else {
                std::uint16_t low = 0;
                std::uint16_t high = 0;
                ok = reader.U16BeAt(0, low) && reader.U16BeAt(2, high);
                u32 = (std::uint32_t{high} << 16) | low;
            }
            const bool is_signed =
                type == ValueType::kS32Le || type == ValueType::kS32Be || type == ValueType::kS32LowWordFirst;
            raw.value = is_signed ? static_cast<double>(static_cast<std::int32_t>(u32)) : u32;
            break;
        }
        default: return false;
    }
    raw.bits = u32;
    return ok;
}

// Text fields are formatted by hand: snprintf alone was ~6 % of the cost of decoding a data frame.
// Writes `v` as `width` decimal digits (leading zeros) at out[at].
template <std::size_t N>
void PutDigits(char (&out)[N], std::size_t at, unsigned v, std::size_t width) noexcept {
    for (std::size_t i = width; i-- > 0; v /= 10) out[at + i] = static_cast<char>('0' + v % 10);
}

bool ReadText(const FieldSpec& field, std::span<const std::uint8_t> bytes, std::string& text) {
    switch (field.type) {
        case ValueType::kAscii: text = AsciiField(bytes); return true;
        case ValueType::kVersionNibbles: {
            // V<n3>.<n2>.<n1><n0> in upper-case hex: 0x4010 -> "V4.0.10".
            std::uint16_t v = 0;
            if (!ByteReader(bytes).U16BeAt(0, v)) return false;
            constexpr char kHex[] = "0123456789ABCDEF";
            text = {'V', kHex[(v >> 12) & 0xF], '.', kHex[(v >> 8) & 0xF], '.', kHex[(v >> 4) & 0xF], kHex[v & 0xF]};
            return true;
        }
        case ValueType::kClockYmdhms: {
            // YY MM DD hh mm ss -> "2024-04-11T12:30:05" (year 2000 + YY, so always four digits).
            if (bytes.size() != 6) return false;
            const unsigned year = 2000u + bytes[0];
            const unsigned month = bytes[1], day = bytes[2], hour = bytes[3], minute = bytes[4], second = bytes[5];
            if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return false;
            char out[19];
            PutDigits(out, 0, year, 4);
            out[4] = '-';
            PutDigits(out, 5, month, 2);
            out[7] = '-';
            PutDigits(out, 8, day, 2);
            out[10] = 'T';
            PutDigits(out, 11, hour, 2);
            out[13] = ':';
            PutDigits(out, 14, minute, 2);
            out[16] = ':';
            PutDigits(out, 17, second, 2);
            text.assign(out, sizeof out);
            return true;
        }
        default: return false;
    }
}

// Applies the field's validity rules to a value; returns the reason it is invalid, or "" if it is valid.
std::string Invalid(const FieldSpec& field, double value) {
    if (!std::isfinite(value)) return "not a finite number";
    if (field.min && value < *field.min)
        return "value " + FormatNumber(value) + " below min " + FormatNumber(*field.min);
    if (field.max && value > *field.max)
        return "value " + FormatNumber(value) + " above max " + FormatNumber(*field.max);
    return "";
}

}  // namespace

std::optional<std::int64_t> PushHeader::DeviceTimeMs() const noexcept {
    const std::int64_t seconds = std::int64_t{total_working_time_s} + std::int64_t{offset_time_s};
    if (seconds < kMinPlausibleDeviceTimeS || seconds >= kMaxPlausibleDeviceTimeS) return std::nullopt;
    return seconds * 1000;
}

const DecodedSample* DataReport::FindSample(std::string_view name) const noexcept {
    for (const DecodedSample& sample : samples) {
        if (sample.name == name) return &sample;
    }
    return nullptr;
}

const std::string* DataReport::FindAttribute(std::string_view name) const noexcept {
    for (const auto& [key, value] : attributes) {
        if (key == name) return &value;
    }
    return nullptr;
}

Result<PushHeader> DecodePushHeader(std::span<const std::uint8_t> payload) {
    const ByteReader reader(payload);
    PushHeader header;
    std::span<const std::uint8_t> serial;
    if (!reader.U8At(0, header.frame_type) || !reader.U16LeAt(1, header.sensor_type) ||
        !reader.U32LeAt(3, header.total_working_time_s) || !reader.U32LeAt(7, header.power_on_time_s) ||
        !reader.U32LeAt(11, header.offset_time_s) || !reader.U32LeAt(17, header.packet_counter) ||
        !reader.BytesAt(21, 16, serial)) {
        return MakeError(Errc::kInvalidArgument, "solarman data: payload of " + std::to_string(payload.size()) +
                                                     " bytes is shorter than the " + std::to_string(kPushHeaderSize) +
                                                     "-byte push header");
    }
    header.inverter_serial = AsciiField(serial);
    return header;
}

void DecodeFields(const FieldMap& map, const WireBytes& wire, DataReport& report) {
    // Sized up front: growing the vectors field by field reallocated them, and moved every sample, several times
    // per frame.
    std::size_t samples = 0;
    std::size_t attributes = 0;
    bool products = false;
    for (const FieldSpec& field : map.fields) {
        (field.kind == FieldKind::kInfo ? attributes : samples) += 1;
        products = products || field.type == ValueType::kProduct;
    }
    report.samples.reserve(report.samples.size() + samples);
    report.attributes.reserve(report.attributes.size() + attributes);
    std::vector<std::pair<std::string_view, double>> numeric;  // values so far, for products (only maps with some)
    if (products) numeric.reserve(map.fields.size());
    const auto value_of = [&](std::string_view name) -> std::optional<double> {
        for (const auto& [n, v] : numeric) {
            if (n == name) return v;
        }
        return std::nullopt;
    };
    for (const FieldSpec& field : map.fields) {
        const auto skip = [&](const std::string& why) { report.skipped.push_back(field.name + ": " + why); };
        double value = 0.0;
        if (field.type == ValueType::kProduct) {
            const std::optional<double> a = value_of(field.product_of[0]);
            const std::optional<double> b = value_of(field.product_of[1]);
            if (!a || !b) {
                skip("a factor has no value");
                continue;
            }
            value = ApplyScale(RoundProduct(*a * *b), field.scale, field.bias);
        } else {
            const std::uint32_t size = WireSize(field.type, field.length);
            if (size == 0) {
                skip("no wire size");
                continue;
            }
            const std::optional<std::span<const std::uint8_t>> bytes = wire(field.offset, size);
            if (!bytes || bytes->size() != size) {
                skip("not read");
                continue;
            }
            if (!IsNumeric(field.type)) {
                std::string text;
                if (!ReadText(field, *bytes, text)) {
                    skip("unreadable " + std::string(ValueTypeName(field.type)));
                    continue;
                }
                report.attributes.emplace_back(field.name, std::move(text));
                continue;
            }
            Raw raw;
            if (!ReadRaw(field.type, *bytes, raw)) {
                skip("unreadable");
                continue;
            }
            if (field.invalid_raw && raw.bits == *field.invalid_raw) {
                skip("raw value is the invalid marker " + std::to_string(raw.bits));
                continue;
            }
            if (field.zero_invalid && raw.bits == 0) {
                skip("zero is not a valid reading");
                continue;
            }
            value = ApplyScale(raw.value, field.scale, field.bias);
        }
        if (field.min || field.max || !std::isfinite(value)) {
            if (const std::string why = Invalid(field, value); !why.empty()) {
                skip(why);
                continue;
            }
        }
        if (products) numeric.emplace_back(field.name, value);
        if (field.kind == FieldKind::kInfo) {
            report.attributes.emplace_back(field.name, FormatNumber(value));
        } else {
            report.samples.push_back(DecodedSample{field.name, field.unit, field.kind == FieldKind::kCounter, value});
        }
    }
}

Result<DataReport> DecodeDataPayload(std::span<const std::uint8_t> payload, const FieldMap& map) {
    if (map.layout != MapLayout::kPushPayload) {
        return MakeError(Errc::kInvalidArgument, "solarman data: field map \"" + map.name + "\" is not a push map");
    }
    MH_ASSIGN_OR_RETURN(PushHeader header, DecodePushHeader(payload));
    if ((header.frame_type & ~kFrameTypeHistoricBit) != kFrameTypeRealTime) {
        char text[96];
        std::snprintf(text, sizeof text, "solarman data: frame type 0x%02X is not inverter data (want 0x01 or 0x81)",
                      header.frame_type);
        return MakeError(Errc::kInvalidArgument, text);
    }
    const std::uint32_t required = map.RequiredPayloadSize();
    if (payload.size() < required) {
        return MakeError(Errc::kInvalidArgument, "solarman data: payload of " + std::to_string(payload.size()) +
                                                     " bytes is shorter than field map \"" + map.name + "\" needs (" +
                                                     std::to_string(required) + ")");
    }
    DataReport report;
    report.device_time_ms = header.DeviceTimeMs();
    report.historic = header.historic();
    report.inverter_serial = header.inverter_serial;
    report.header = std::move(header);
    const ByteReader reader(payload);
    DecodeFields(
        map,
        [&](std::uint32_t offset, std::uint32_t size) -> std::optional<std::span<const std::uint8_t>> {
            std::span<const std::uint8_t> bytes;
            if (!reader.BytesAt(offset, size, bytes)) return std::nullopt;
            return bytes;
        },
        report);
    return report;
}

}  // namespace mh::ingest::solarman
