#include "ingest/solarman/field_map.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/solarman/field_map_file.hpp"
#include "ingest/solarman/payload.hpp"
#include "unit/solarman/fixtures.hpp"

namespace mh::ingest::solarman {
namespace {

using testing::FixturePath;
using testing::LoadFrame;

TEST(FieldMap, EveryBuiltinMapIsValid) {
    ASSERT_GE(BuiltinFieldMapNames().size(), 7u);
    for (const std::string_view name : BuiltinFieldMapNames()) {
        const auto map = BuiltinFieldMap(name);
        ASSERT_TRUE(map) << name;
        EXPECT_EQ(map->name, name);
        const Status valid = ValidateFieldMap(*map);
        EXPECT_TRUE(valid) << (valid ? "" : valid.error().message);
    }
    const auto missing = BuiltinFieldMap("sofar_push");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::kNotFound);
    EXPECT_NE(missing.error().message.find("deye_micro_push"), std::string::npos);
}

TEST(FieldMap, StringMapsDifferInTheirPvInputs) {
    const auto count_dc = [](std::string_view name) {
        const FieldMap map = *BuiltinFieldMap(name);
        int voltages = 0;
        for (const FieldSpec& f : map.fields) voltages += f.name.ends_with(".voltage") && f.name.starts_with("dc");
        return voltages;
    };
    EXPECT_EQ(count_dc("deye_string_1mppt_modbus"), 1);
    EXPECT_EQ(count_dc("deye_string_2mppt_modbus"), 2);
    EXPECT_EQ(count_dc("deye_string_4mppt_modbus"), 4);
    EXPECT_EQ(count_dc("deye_micro_modbus"), 4);
}

TEST(FieldMapFile, TheDeyeMicroFileEqualsTheBuiltinMap) {
    const auto loaded = LoadFieldMapFile(FixturePath("deye_micro_push.toml"));
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(*loaded, *BuiltinFieldMap("deye_micro_push"));
    // And it decodes the synthetic frame like the built-in map does.
    const Frame frame = LoadFrame("deyemicro_data_synthetic");
    const auto from_file = DecodeDataPayload(frame.payload, *loaded);
    const auto from_builtin = DecodeDataPayload(frame.payload, *BuiltinFieldMap("deye_micro_push"));
    ASSERT_TRUE(from_file && from_builtin);
    EXPECT_EQ(from_file->samples, from_builtin->samples);
    EXPECT_EQ(from_file->attributes, from_builtin->attributes);
}

constexpr const char* kHead = R"(
name = "test_map"
layout = "push_payload"
payload_size = 64
)";

// Parses kHead plus one field given as TOML body lines; returns the error message ("" if it parsed).
std::string FieldError(const std::string& field) {
    const auto map = ParseFieldMap(std::string(kHead) + "[[field]]\n" + field, "test.toml");
    return map ? "" : map.error().message;
}

TEST(FieldMapFile, AMinimalMap) {
    const auto map = ParseFieldMap(std::string(kHead) + R"(
[[field]]
name = "power_ac"
unit = "W"
kind = "gauge"
type = "u16be"
offset = 40
scale = 0.1
bias = -2
min = 0
max = 1000
invalid_raw = 0xFFFF
)");
    ASSERT_TRUE(map) << map.error().message;
    ASSERT_EQ(map->fields.size(), 1u);
    const FieldSpec& f = map->fields[0];
    EXPECT_EQ(f.type, ValueType::kU16Be);
    EXPECT_EQ(f.offset, 40u);
    EXPECT_EQ(f.scale, 0.1);
    EXPECT_EQ(f.bias, -2.0);
    EXPECT_EQ(f.min, 0.0);
    EXPECT_EQ(f.max, 1000.0);
    EXPECT_EQ(f.invalid_raw, 0xFFFFu);
    EXPECT_EQ(map->RequiredPayloadSize(), 64u);
}

TEST(FieldMapFile, UnknownType) {
    EXPECT_EQ(FieldError("name = \"x\"\nkind = \"gauge\"\ntype = \"u24\"\noffset = 1\n"),
              "test.toml:8: field 0 (\"x\"): unknown type \"u24\" (want u8, u16le, u16be, s16le, s16be, u32le, "
              "u32be, s32le, s32be, u32_low_word_first, s32_low_word_first, ascii, version_nibbles, clock_ymdhms "
              "or product)");
}

TEST(FieldMapFile, OffsetBeyondThePayload) {
    EXPECT_EQ(FieldError("name = \"x\"\nkind = \"gauge\"\ntype = \"u32le\"\noffset = 61\n"),
              "test.toml: field map \"test_map\": field 0 (\"x\"): offset 61 + 4 bytes is beyond the payload "
              "(payload_size 64)");
    // Without payload_size, the V5 payload cap still applies.
    const auto map = ParseFieldMap(R"(
name = "m"
layout = "push_payload"
[[field]]
name = "x"
kind = "gauge"
type = "u16le"
offset = 1023
)",
                                   "cap.toml");
    ASSERT_FALSE(map);
    EXPECT_EQ(map.error().message,
              "cap.toml: field map \"m\": field 0 (\"x\"): offset 1023 + 2 bytes is beyond the largest V5 payload "
              "(1024 bytes)");
}

TEST(FieldMapFile, BadScale) {
    const std::string base = "name = \"x\"\nkind = \"gauge\"\ntype = \"u16le\"\noffset = 1\n";
    EXPECT_EQ(FieldError(base + "scale = 0\n"),
              "test.toml: field map \"test_map\": field 0 (\"x\"): scale must be a finite non-zero number");
    EXPECT_EQ(FieldError(base + "scale = nan\n"),
              "test.toml: field map \"test_map\": field 0 (\"x\"): scale must be a finite non-zero number");
    EXPECT_EQ(FieldError(base + "scale = inf\n"),
              "test.toml: field map \"test_map\": field 0 (\"x\"): scale must be a finite non-zero number");
    EXPECT_EQ(FieldError(base + "scale = \"0.1\"\n"), "test.toml:10: field 0 (\"x\"): scale must be a number");
}

TEST(FieldMapFile, OtherMistakesAreNamed) {
    const std::string x = "name = \"x\"\n";
    EXPECT_EQ(FieldError(x + "kind = \"gauge\"\ntype = \"u16le\"\noffset = 1\ncolour = 3\n"),
              "test.toml:10: field 0 (\"x\"): unknown key \"colour\"");
    EXPECT_EQ(FieldError(x + "kind = \"level\"\ntype = \"u16le\"\noffset = 1\n"),
              "test.toml:7: field 0 (\"x\"): unknown kind \"level\" (want gauge, counter or info)");
    EXPECT_EQ(FieldError(x + "type = \"u16le\"\noffset = 1\n"), "test.toml:5: field 0 (\"x\"): kind is missing");
    EXPECT_EQ(FieldError(x + "kind = \"gauge\"\ntype = \"u16le\"\n"),
              "test.toml:5: field 0 (\"x\"): offset is missing");
    EXPECT_EQ(FieldError(x + "kind = \"gauge\"\ntype = \"u16le\"\noffset = -1\n"),
              "test.toml:9: field 0 (\"x\"): offset -1 is outside 0..4294967295");
    EXPECT_EQ(FieldError(x + "kind = \"gauge\"\ntype = \"ascii\"\noffset = 1\nlength = 4\n"),
              "test.toml: field map \"test_map\": field 0 (\"x\"): type ascii is text: kind must be \"info\"");
    EXPECT_EQ(FieldError(x + "kind = \"info\"\ntype = \"ascii\"\noffset = 1\n"),
              "test.toml: field map \"test_map\": field 0 (\"x\"): ascii length must be 1..64");
    EXPECT_EQ(FieldError(x + "kind = \"gauge\"\ntype = \"product\"\nproduct = [\"a\", \"b\"]\n"),
              "test.toml: field map \"test_map\": field 0 (\"x\"): product factor \"a\" is not a numeric field "
              "defined before it");
    EXPECT_EQ(FieldError(x + "kind = \"gauge\"\ntype = \"u16le\"\noffset = 1\nmin = 5\nmax = 1\n"),
              "test.toml: field map \"test_map\": field 0 (\"x\"): min is greater than max");
    EXPECT_EQ(FieldError("name = \"Power AC\"\nkind = \"gauge\"\ntype = \"u16le\"\noffset = 1\n"),
              "test.toml: field map \"test_map\": field 0 (\"Power AC\"): the name must be 1-64 characters of a-z, "
              "0-9, '_', '.'");
    EXPECT_EQ(FieldError(x + "kind = \"gauge\"\ntype = \"u16le\"\noffset = 1\n[[field]]\n" + x +
                         "kind = \"gauge\"\ntype = \"u16le\"\noffset = 3\n"),
              "test.toml: field map \"test_map\": field 1 (\"x\"): duplicate name");
}

TEST(FieldMapFile, MapLevelMistakes) {
    EXPECT_EQ(ParseFieldMap("name = \"m\"\n[[field]]\nname = \"x\"\n", "a.toml").error().message,
              "a.toml:2: field 0 (\"x\"): type is missing");
    EXPECT_EQ(ParseFieldMap("name = \"m\"\nlayout = \"push\"\n", "a.toml").error().message,
              "a.toml:2: unknown layout \"push\" (want push_payload or holding_registers)");
    EXPECT_EQ(ParseFieldMap("name = \"m\"\nlayout = \"push_payload\"\n", "a.toml").error().message,
              "a.toml: no [[field]] tables");
    EXPECT_EQ(ParseFieldMap("name = \"m\"\nlayout = \"push_payload\"\nmodel = 1\n", "a.toml").error().message,
              "a.toml:3: unknown key \"model\"");
    EXPECT_EQ(ParseFieldMap("name = \"m\"\nlayout = \"push_payload\"\nfield = 3\n", "a.toml").error().message,
              "a.toml:3: field must be an array of tables: [[field]]");
    EXPECT_TRUE(ParseFieldMap("name = [", "a.toml").error().message.starts_with("a.toml:1:"));
    EXPECT_EQ(LoadFieldMapFile("/nonexistent/map.toml").error().code, Errc::kNotFound);
    const std::string registers = R"(
name = "r"
layout = "holding_registers"
[[field]]
name = "x"
kind = "info"
type = "u8"
offset = 3
)";
    EXPECT_EQ(ParseFieldMap(registers, "r.toml").error().message,
              "r.toml: field map \"r\": field 0 (\"x\"): u8 does not fit a register map: use u16be");
}

TEST(FieldMapFile, ValidityRulesAtWork) {
    // A loaded map over the 0x02B0 capture: grid voltage 224.8 is above max 200, and dc3 current's raw 189
    // (payload 227) is declared the "no reading" marker; the product of a missing factor is left out too.
    const auto map = ParseFieldMap(R"(
name = "rules"
layout = "push_payload"
[[field]]
name = "grid_voltage"
unit = "V"
kind = "gauge"
type = "u16be"
offset = 199
scale = 0.1
max = 200
[[field]]
name = "grid_current"
unit = "A"
kind = "gauge"
type = "u16be"
offset = 201
scale = 0.01
min = 0.5
[[field]]
name = "dc3.current"
unit = "A"
kind = "gauge"
type = "u16be"
offset = 227
scale = 0.01
invalid_raw = 189
[[field]]
name = "power_check"
unit = "W"
kind = "gauge"
type = "product"
product = ["grid_current", "dc3.current"]
)",
                                   "rules.toml");
    ASSERT_TRUE(map) << map.error().message;
    const auto report = DecodeDataPayload(LoadFrame("tsun02b0_data").payload, *map);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->FindSample("grid_voltage"), nullptr);
    EXPECT_EQ(report->FindSample("grid_current")->value, 0.73);
    EXPECT_EQ(report->FindSample("dc3.current"), nullptr);
    EXPECT_EQ(report->FindSample("power_check"), nullptr);
    EXPECT_EQ(report->skipped, (std::vector<std::string>{"grid_voltage: value 224.8 above max 200",
                                                         "dc3.current: raw value is the invalid marker 189",
                                                         "power_check: a factor has no value"}));
}

}  // namespace
}  // namespace mh::ingest::solarman
