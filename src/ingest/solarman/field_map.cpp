#include "ingest/solarman/field_map.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <set>
#include <string>

#include "ingest/solarman/frame.hpp"

namespace mh::ingest::solarman {
namespace {

struct TypeInfo {
    ValueType type;
    std::string_view name;
    std::uint32_t size;  // wire bytes; kAscii: from the field
    bool numeric;
};

constexpr TypeInfo kTypes[] = {
    {ValueType::kU8, "u8", 1, true},
    {ValueType::kU16Le, "u16le", 2, true},
    {ValueType::kU16Be, "u16be", 2, true},
    {ValueType::kS16Le, "s16le", 2, true},
    {ValueType::kS16Be, "s16be", 2, true},
    {ValueType::kU32Le, "u32le", 4, true},
    {ValueType::kU32Be, "u32be", 4, true},
    {ValueType::kS32Le, "s32le", 4, true},
    {ValueType::kS32Be, "s32be", 4, true},
    {ValueType::kU32LowWordFirst, "u32_low_word_first", 4, true},
    {ValueType::kS32LowWordFirst, "s32_low_word_first", 4, true},
    {ValueType::kAscii, "ascii", 0, false},
    {ValueType::kVersionNibbles, "version_nibbles", 2, false},
    {ValueType::kClockYmdhms, "clock_ymdhms", 6, false},
    {ValueType::kProduct, "product", 0, true},
};

// kTypes is in enum order, so a type is its own index: the payload decoder asks for every field of every frame.
constexpr bool InEnumOrder() {
    for (std::size_t i = 0; i < std::size(kTypes); ++i) {
        if (static_cast<std::size_t>(kTypes[i].type) != i) return false;
    }
    return true;
}
static_assert(InEnumOrder(), "kTypes must list the ValueTypes in declaration order");

const TypeInfo* Info(ValueType type) noexcept {
    const auto index = static_cast<std::size_t>(type);
    return index < std::size(kTypes) ? &kTypes[index] : nullptr;
}

constexpr std::uint32_t kMaxAsciiLength = 64;
constexpr std::uint32_t kRegisterCount = 65536;

bool ValidName(std::string_view name) {
    if (name.empty() || name.size() > 64 || name.front() == '.' || name.back() == '.') return false;
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'; });
}

}  // namespace

std::string_view ValueTypeName(ValueType type) noexcept {
    const TypeInfo* info = Info(type);
    return info != nullptr ? info->name : "unknown";
}

std::optional<ValueType> ParseValueType(std::string_view name) noexcept {
    for (const TypeInfo& info : kTypes) {
        if (info.name == name) return info.type;
    }
    return std::nullopt;
}

std::string_view FieldKindName(FieldKind kind) noexcept {
    switch (kind) {
        case FieldKind::kGauge: return "gauge";
        case FieldKind::kCounter: return "counter";
        case FieldKind::kInfo: return "info";
    }
    return "unknown";
}

std::optional<FieldKind> ParseFieldKind(std::string_view name) noexcept {
    if (name == "gauge") return FieldKind::kGauge;
    if (name == "counter") return FieldKind::kCounter;
    if (name == "info") return FieldKind::kInfo;
    return std::nullopt;
}

std::string_view MapLayoutName(MapLayout layout) noexcept {
    switch (layout) {
        case MapLayout::kPushPayload: return "push_payload";
        case MapLayout::kHoldingRegisters: return "holding_registers";
    }
    return "unknown";
}

std::optional<MapLayout> ParseMapLayout(std::string_view name) noexcept {
    if (name == "push_payload") return MapLayout::kPushPayload;
    if (name == "holding_registers") return MapLayout::kHoldingRegisters;
    return std::nullopt;
}

std::uint32_t WireSize(ValueType type, std::uint32_t ascii_length) noexcept {
    if (type == ValueType::kAscii) return ascii_length;
    const TypeInfo* info = Info(type);
    return info != nullptr ? info->size : 0;
}

bool IsNumeric(ValueType type) noexcept {
    const TypeInfo* info = Info(type);
    return info != nullptr && info->numeric;
}

std::uint32_t FieldMap::RequiredPayloadSize() const noexcept {
    if (payload_size != 0) return payload_size;
    std::uint64_t end = 0;
    for (const FieldSpec& field : fields) {
        end = std::max(end, std::uint64_t{field.offset} + WireSize(field.type, field.length));
    }
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(end, 0xFFFF'FFFF));
}

Status ValidateFieldMap(const FieldMap& map) {
    const std::string where = "field map \"" + map.name + "\"";
    if (!ValidName(map.name)) {
        return MakeError(Errc::kInvalidArgument, where + ": the name must be 1-64 characters of a-z, 0-9, '_', '.'");
    }
    if (map.fields.empty()) return MakeError(Errc::kInvalidArgument, where + ": no fields");
    const bool push = map.layout == MapLayout::kPushPayload;
    if (push && map.payload_size > kMaxPayloadSize) {
        return MakeError(Errc::kInvalidArgument, where + ": payload_size " + std::to_string(map.payload_size) +
                                                     " exceeds the largest V5 payload (" +
                                                     std::to_string(kMaxPayloadSize) + " bytes)");
    }
    std::set<std::string, std::less<>> numeric_names;
    std::set<std::string, std::less<>> names;
    for (std::size_t i = 0; i < map.fields.size(); ++i) {
        const FieldSpec& f = map.fields[i];
        const std::string at = where + ": field " + std::to_string(i) + " (\"" + f.name + "\"): ";
        const auto fail = [&](const std::string& what) { return MakeError(Errc::kInvalidArgument, at + what); };
        if (!ValidName(f.name)) return fail("the name must be 1-64 characters of a-z, 0-9, '_', '.'");
        if (!names.insert(f.name).second) return fail("duplicate name");
        if (f.unit.size() > 16) return fail("unit longer than 16 bytes");
        if (Info(f.type) == nullptr) return fail("unknown type");
        const bool numeric = IsNumeric(f.type);
        if (!numeric && f.kind != FieldKind::kInfo) {
            return fail("type " + std::string(ValueTypeName(f.type)) + " is text: kind must be \"info\"");
        }
        if (f.type == ValueType::kAscii) {
            if (f.length == 0 || f.length > kMaxAsciiLength) {
                return fail("ascii length must be 1.." + std::to_string(kMaxAsciiLength));
            }
        } else if (f.length != 0) {
            return fail("length is only for type \"ascii\"");
        }
        if (!std::isfinite(f.scale) || f.scale == 0.0) return fail("scale must be a finite non-zero number");
        if (!std::isfinite(f.bias)) return fail("bias must be a finite number");
        if ((f.min && !std::isfinite(*f.min)) || (f.max && !std::isfinite(*f.max))) {
            return fail("min and max must be finite numbers");
        }
        if (f.min && f.max && *f.min > *f.max) return fail("min is greater than max");
        if (!numeric && (f.min || f.max || f.zero_invalid || f.invalid_raw || f.scale != 1.0 || f.bias != 0.0)) {
            return fail("scale, bias and validity rules apply to numeric types only");
        }
        if (f.type == ValueType::kProduct) {
            if (f.offset != 0) return fail("a product has no offset");
            if (f.zero_invalid || f.invalid_raw) return fail("a product has no raw value to check");
            for (const std::string& factor : f.product_of) {
                if (!numeric_names.contains(factor)) {
                    return fail("product factor \"" + factor + "\" is not a numeric field defined before it");
                }
            }
        } else {
            if (!f.product_of[0].empty() || !f.product_of[1].empty()) return fail("product_of is only for products");
            const std::uint64_t size = WireSize(f.type, f.length);
            if (push) {
                const std::uint64_t end = std::uint64_t{f.offset} + size;
                if (end > kMaxPayloadSize) {
                    return fail("offset " + std::to_string(f.offset) + " + " + std::to_string(size) +
                                " bytes is beyond the largest V5 payload (" + std::to_string(kMaxPayloadSize) +
                                " bytes)");
                }
                if (map.payload_size != 0 && end > map.payload_size) {
                    return fail("offset " + std::to_string(f.offset) + " + " + std::to_string(size) +
                                " bytes is beyond the payload (payload_size " + std::to_string(map.payload_size) + ")");
                }
            } else {
                if (f.type == ValueType::kU8) return fail("u8 does not fit a register map: use u16be");
                const std::uint64_t registers = (size + 1) / 2;
                if (std::uint64_t{f.offset} + registers > kRegisterCount) {
                    return fail("register " + std::to_string(f.offset) + " + " + std::to_string(registers) +
                                " registers is beyond register 65535");
                }
            }
        }
        if (numeric) numeric_names.insert(f.name);
    }
    return Ok();
}

}  // namespace mh::ingest::solarman
