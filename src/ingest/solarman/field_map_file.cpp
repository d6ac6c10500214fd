#include "ingest/solarman/field_map_file.hpp"

#include <toml++/toml.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>

namespace mh::ingest::solarman {
namespace {

constexpr std::size_t kMaxFileSize = 1 << 20;

// Error helpers that carry the source and the line of the offending node.
class Reporter {
  public:
    explicit Reporter(std::string_view source) : source_(source) {}

    Error At(const toml::node& node, const std::string& what) const {
        return MakeError(Errc::kInvalidArgument,
                         source_ + ":" + std::to_string(node.source().begin.line) + ": " + what);
    }
    Error Plain(const std::string& what) const { return MakeError(Errc::kInvalidArgument, source_ + ": " + what); }

  private:
    std::string source_;
};

Result<std::string> GetString(const Reporter& r, const toml::node& node, const std::string& key) {
    if (const auto v = node.value_exact<std::string>()) return *v;
    return r.At(node, key + " must be a string");
}

Result<std::int64_t> GetInteger(const Reporter& r, const toml::node& node, const std::string& key, std::int64_t lo,
                                std::int64_t hi) {
    const auto v = node.value_exact<std::int64_t>();
    if (!v) return r.At(node, key + " must be a whole number");
    if (*v < lo || *v > hi) {
        return r.At(node,
                    key + " " + std::to_string(*v) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
    }
    return *v;
}

Result<double> GetNumber(const Reporter& r, const toml::node& node, const std::string& key) {
    if (const auto* i = node.as_integer()) return static_cast<double>(i->get());
    if (const auto* f = node.as_floating_point()) return f->get();
    return r.At(node, key + " must be a number");
}

Result<bool> GetBool(const Reporter& r, const toml::node& node, const std::string& key) {
    if (const auto v = node.value_exact<bool>()) return *v;
    return r.At(node, key + " must be true or false");
}

Result<FieldSpec> ParseField(const Reporter& r, const toml::table& table, std::size_t index) {
    FieldSpec f;
    // The name first, so that every later message can say which field it is about.
    if (const toml::node* name = table.get("name")) {
        MH_ASSIGN_OR_RETURN(f.name, GetString(r, *name, "name"));
    }
    const std::string at = "field " + std::to_string(index) + " (\"" + f.name + "\"): ";
    bool has_type = false;
    bool has_offset = false;
    for (const auto& [key_node, node] : table) {
        const std::string key(key_node.str());
        if (key == "name") continue;
        if (key == "unit") {
            MH_ASSIGN_OR_RETURN(f.unit, GetString(r, node, at + key));
        } else if (key == "kind") {
            MH_ASSIGN_OR_RETURN(const std::string kind, GetString(r, node, at + key));
            const auto parsed = ParseFieldKind(kind);
            if (!parsed) return r.At(node, at + "unknown kind \"" + kind + "\" (want gauge, counter or info)");
            f.kind = *parsed;
        } else if (key == "type") {
            MH_ASSIGN_OR_RETURN(const std::string type, GetString(r, node, at + key));
            const auto parsed = ParseValueType(type);
            if (!parsed) {
                return r.At(node, at + "unknown type \"" + type +
                                      "\" (want u8, u16le, u16be, s16le, s16be, u32le, u32be, s32le, s32be, "
                                      "u32_low_word_first, s32_low_word_first, ascii, version_nibbles, "
                                      "clock_ymdhms or product)");
            }
            f.type = *parsed;
            has_type = true;
        } else if (key == "offset") {
            MH_ASSIGN_OR_RETURN(const std::int64_t offset,
                                GetInteger(r, node, at + key, 0, std::numeric_limits<std::uint32_t>::max()));
            f.offset = static_cast<std::uint32_t>(offset);
            has_offset = true;
        } else if (key == "length") {
            MH_ASSIGN_OR_RETURN(const std::int64_t length, GetInteger(r, node, at + key, 1, 64));
            f.length = static_cast<std::uint32_t>(length);
        } else if (key == "scale") {
            MH_ASSIGN_OR_RETURN(f.scale, GetNumber(r, node, at + key));
        } else if (key == "bias") {
            MH_ASSIGN_OR_RETURN(f.bias, GetNumber(r, node, at + key));
        } else if (key == "min") {
            MH_ASSIGN_OR_RETURN(f.min, GetNumber(r, node, at + key));
        } else if (key == "max") {
            MH_ASSIGN_OR_RETURN(f.max, GetNumber(r, node, at + key));
        } else if (key == "zero_invalid") {
            MH_ASSIGN_OR_RETURN(f.zero_invalid, GetBool(r, node, at + key));
        } else if (key == "invalid_raw") {
            MH_ASSIGN_OR_RETURN(const std::int64_t raw,
                                GetInteger(r, node, at + key, 0, std::numeric_limits<std::uint32_t>::max()));
            f.invalid_raw = static_cast<std::uint32_t>(raw);
        } else if (key == "product") {
            const toml::array* factors = node.as_array();
            if (factors == nullptr || factors->size() != 2 || !(*factors)[0].is_string() ||
                !(*factors)[1].is_string()) {
                return r.At(node, at + "product must be a list of two field names");
            }
            f.product_of = {*(*factors)[0].value<std::string>(), *(*factors)[1].value<std::string>()};
        } else {
            return r.At(node, at + "unknown key \"" + key + "\"");
        }
    }
    if (f.name.empty()) return r.At(table, at + "name is missing");
    if (!has_type) return r.At(table, at + "type is missing");
    if (f.type == ValueType::kProduct) {
        if (has_offset) return r.At(table, at + "a product has no offset");
        if (f.product_of[0].empty()) return r.At(table, at + R"(product = ["a", "b"] is missing)");
    } else if (!has_offset) {
        return r.At(table, at + "offset is missing");
    }
    if (!table.contains("kind")) return r.At(table, at + "kind is missing");
    return f;
}

}  // namespace

Result<FieldMap> ParseFieldMap(std::string_view text, std::string_view source) {
    const Reporter r(source);
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        return MakeError(Errc::kInvalidArgument, std::string(source) + ":" + std::to_string(where.line) + ":" +
                                                     std::to_string(where.column) + ": " +
                                                     std::string(e.description()));
    }
    FieldMap map;
    bool has_name = false;
    bool has_layout = false;
    bool has_fields = false;
    for (const auto& [key_node, node] : root) {
        const std::string key(key_node.str());
        if (key == "name") {
            MH_ASSIGN_OR_RETURN(map.name, GetString(r, node, key));
            has_name = true;
        } else if (key == "description") {
            MH_ASSIGN_OR_RETURN(map.description, GetString(r, node, key));
        } else if (key == "layout") {
            MH_ASSIGN_OR_RETURN(const std::string layout, GetString(r, node, key));
            const auto parsed = ParseMapLayout(layout);
            if (!parsed) {
                return r.At(node, "unknown layout \"" + layout + "\" (want push_payload or holding_registers)");
            }
            map.layout = *parsed;
            has_layout = true;
        } else if (key == "sensor_type") {
            MH_ASSIGN_OR_RETURN(const std::int64_t v, GetInteger(r, node, key, 0, 0xFFFF));
            map.sensor_type_value = static_cast<std::uint16_t>(v);
        } else if (key == "sensor_type_mask") {
            MH_ASSIGN_OR_RETURN(const std::int64_t v, GetInteger(r, node, key, 1, 0xFFFF));
            map.sensor_type_mask = static_cast<std::uint16_t>(v);
        } else if (key == "payload_size") {
            MH_ASSIGN_OR_RETURN(const std::int64_t v, GetInteger(r, node, key, 0, 0xFFFF));
            map.payload_size = static_cast<std::uint32_t>(v);
        } else if (key == "field") {
            const toml::array* fields = node.as_array();
            if (fields == nullptr || !fields->is_array_of_tables()) {
                return r.At(node, "field must be an array of tables: [[field]]");
            }
            for (std::size_t i = 0; i < fields->size(); ++i) {
                MH_ASSIGN_OR_RETURN(FieldSpec f, ParseField(r, *(*fields)[i].as_table(), i));
                map.fields.push_back(std::move(f));
            }
            has_fields = true;
        } else {
            return r.At(node, "unknown key \"" + key + "\"");
        }
    }
    if (!has_name) return r.Plain("name is missing");
    if (!has_layout) return r.Plain("layout is missing");
    if (!has_fields) return r.Plain("no [[field]] tables");
    if (map.sensor_type_value && (*map.sensor_type_value & ~map.sensor_type_mask) != 0) {
        return r.Plain("sensor_type has bits outside sensor_type_mask");
    }
    if (Status valid = ValidateFieldMap(map); !valid) return r.Plain(valid.error().message);
    return map;
}

Result<FieldMap> LoadFieldMapFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return MakeError(Errc::kNotFound, path + ": cannot open field map file");
    std::string text;
    text.resize(kMaxFileSize + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFileSize) return MakeError(Errc::kInvalidArgument, path + ": larger than 1 MiB");
    return ParseFieldMap(text, path);
}

}  // namespace mh::ingest::solarman
