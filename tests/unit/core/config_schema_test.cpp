// The config mechanism on its own, with toy sections: sources and their order, types, unknown keys, ignored
// variables, deprecated aliases and the after-load hook. The real sections are tested with their modules and,
// assembled, in tests/unit/cli/config_test.cpp.
#include "core/config_schema.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/log_config.hpp"

namespace mh::config {
namespace {

struct ToyConfig {
    static constexpr std::string_view kSection = "toy";
    std::string name = "a \"quoted\" name";
    std::int64_t count = 3;
    bool on = false;

    // What the hook saw.
    bool hook_ran = false;
    Loaded loaded;

    void Describe(Section& section) {
        section.Key("name", name, "its name").Key("count", count, "how many").Key("on", on, "whether it is on");
        section.DeprecatedAlias("old.count", "count");
        section.AfterLoad([this](const Loaded& seen, std::vector<std::string>& warnings) {
            hook_ran = true;
            loaded = seen;
            if (seen.used_alias) warnings.push_back("toy: old spelling seen");
        });
    }
    Status Validate() const { return count < 0 ? Status(Invalid("toy.count must not be negative")) : Ok(); }
};

struct OtherConfig {
    static constexpr std::string_view kSection = "other";
    std::int64_t size = 0;
    void Describe(Section& section) { section.Key("size", size, "a size"); }
    Status Validate() const { return Ok(); }
};

static_assert(SectionConfig<ToyConfig>);
static_assert(SectionConfig<LogConfig>);

class ConfigSchemaTest : public ::testing::Test {
  protected:
    void SetUp() override {
        schema_.Add(toy_);
        schema_.Add(other_);
    }
    void TearDown() override {
        for (const auto& f : files_) std::filesystem::remove(f);
    }
    std::string Write(const std::string& text) {
        const auto path = std::filesystem::temp_directory_path() / ("mh_config_schema_" + std::to_string(::getpid()) +
                                                                    "_" + std::to_string(files_.size()) + ".toml");
        std::ofstream(path) << text;
        files_.push_back(path);
        return path.string();
    }
    // The error message of loading `sources`, or "loaded".
    std::string Refusal(const Sources& sources) {
        auto loaded = schema_.Load(sources);
        return loaded ? std::string("loaded") : loaded.error().message;
    }

    ToyConfig toy_;
    OtherConfig other_;
    Schema schema_;
    std::vector<std::filesystem::path> files_;
};

TEST_F(ConfigSchemaTest, KeysListEverySectionInOrderWithDefaultsAsToml) {
    const auto keys = schema_.Keys();
    ASSERT_EQ(keys.size(), 4u);
    EXPECT_EQ(keys[0].key, "toy.name");
    EXPECT_EQ(keys[0].default_toml, R"("a \"quoted\" name")");
    EXPECT_EQ(keys[0].description, "its name");
    EXPECT_EQ(keys[1].key, "toy.count");
    EXPECT_EQ(keys[1].default_toml, "3");
    EXPECT_EQ(keys[2].default_toml, "false");
    EXPECT_EQ(keys[3].key, "other.size");
}

TEST_F(ConfigSchemaTest, FileThenEnvironmentThenOverrides) {
    Sources sources;
    sources.file = Write("[toy]\nname = \"file\"\ncount = 1\non = true\n[other]\nsize = 7\n");
    sources.environment = {{"MH_TOY_COUNT", "2"}, {"MH_TOY_ON", "no"}};
    sources.overrides = {"toy.count=5"};
    auto warnings = schema_.Load(sources);
    ASSERT_TRUE(warnings) << warnings.error().message;
    EXPECT_TRUE(warnings->empty());
    EXPECT_EQ(toy_.name, "file");  // only the file set it
    EXPECT_FALSE(toy_.on);         // the environment beats the file
    EXPECT_EQ(toy_.count, 5);      // an override beats the environment
    EXPECT_EQ(other_.size, 7);
}

TEST_F(ConfigSchemaTest, TextSourcesSpellBooleansAndNumbersAsShellsDo) {
    for (const std::string yes : {"true", "1", "yes", "on"}) {
        toy_.on = false;
        ASSERT_EQ(Refusal({"", {}, {"toy.on=" + yes}}), "loaded");
        EXPECT_TRUE(toy_.on) << yes;
    }
    ASSERT_EQ(Refusal({"", {{"MH_OTHER_SIZE", "-12"}}, {}}), "loaded");
    EXPECT_EQ(other_.size, -12);
    EXPECT_NE(Refusal({"", {{"MH_TOY_ON", "maybe"}}, {}}).find("toy.on must be true or false, not 'maybe'"),
              std::string::npos);
    EXPECT_NE(Refusal({"", {}, {"toy.count=3x"}}).find("toy.count must be a whole number, not '3x'"),
              std::string::npos);
}

TEST_F(ConfigSchemaTest, UnknownKeysAreErrorsInEverySource) {
    EXPECT_NE(Refusal({Write("[toy]\nname = \"x\"\ncuont = 1\n"), {}, {}}).find(":3: unknown key 'toy.cuont'"),
              std::string::npos);
    EXPECT_NE(Refusal({Write("[nope]\nx = 1\n"), {}, {}}).find("unknown key 'nope.x'"), std::string::npos);
    EXPECT_NE(Refusal({"", {{"MH_TOY_CUONT", "1"}}, {}}).find("unknown variable MH_TOY_CUONT"), std::string::npos);
    EXPECT_NE(Refusal({"", {}, {"toy.cuont=1"}}).find("unknown key 'toy.cuont'"), std::string::npos);
    EXPECT_NE(Refusal({"", {}, {"toy.count"}}).find("expected section.key=value"), std::string::npos);
}

TEST_F(ConfigSchemaTest, FileValuesMustHaveTheKeysType) {
    EXPECT_NE(Refusal({Write("[toy]\ncount = \"ten\"\n"), {}, {}}).find("toy.count must be a whole number"),
              std::string::npos);
    EXPECT_NE(Refusal({Write("[toy]\nname = 3\n"), {}, {}}).find("toy.name must be a string"), std::string::npos);
    EXPECT_NE(Refusal({Write("[toy]\non = 1\n"), {}, {}}).find("toy.on must be true or false"), std::string::npos);
    EXPECT_NE(Refusal({Write("count = 1\n"), {}, {}}).find("'count' must be a [section]"), std::string::npos);
    EXPECT_NE(Refusal({Write("[toy\n"), {}, {}}).find(":1:"), std::string::npos) << "syntax errors say where";
}

TEST_F(ConfigSchemaTest, IgnoredVariablesAreSkippedExactlyOrByPrefix) {
    schema_.IgnoreVariable("MH_CONFIG");
    schema_.IgnoreVariablePrefix("MH_ELSE_");
    EXPECT_EQ(Refusal({"", {{"MH_CONFIG", "x"}, {"MH_ELSE_ANYTHING", "y"}}, {}}), "loaded");
    EXPECT_NE(Refusal({"", {{"MH_CONFIGS", "x"}}, {}}).find("MH_CONFIGS"), std::string::npos);
}

TEST_F(ConfigSchemaTest, ADeprecatedAliasSetsItsKeyWithAWarningAndTellsTheHook) {
    auto warnings = schema_.Load({Write("[old]\ncount = 9\n"), {}, {}});
    ASSERT_TRUE(warnings) << warnings.error().message;
    EXPECT_EQ(toy_.count, 9);
    ASSERT_EQ(warnings->size(), 2u);
    EXPECT_NE((*warnings)[0].find("old.count is deprecated; use toy.count (the [toy] section)"), std::string::npos)
        << (*warnings)[0];
    EXPECT_EQ((*warnings)[1], "toy: old spelling seen") << "the hook's own warning comes after";
    EXPECT_TRUE(toy_.hook_ran);
    EXPECT_TRUE(toy_.loaded.used_alias);
    EXPECT_TRUE(toy_.loaded.Assigned("count")) << "an alias counts as its key";
    EXPECT_FALSE(toy_.loaded.Assigned("name"));

    ASSERT_EQ(Refusal({"", {{"MH_OLD_COUNT", "4"}}, {}}), "loaded") << "aliases have their variables too";
    EXPECT_EQ(toy_.count, 4);
    EXPECT_EQ(Refusal({"", {{"MH_OLD_COUNT", "4"}}, {"toy.count=6"}}), "loaded") << "two sources, two spellings";
    EXPECT_EQ(toy_.count, 6);
    EXPECT_NE(Refusal({"", {}, {"old.count=1", "toy.count=2"}}).find("both old.count and toy.count are set"),
              std::string::npos);
}

TEST_F(ConfigSchemaTest, TheHookRunsWithoutAliasesToo) {
    ASSERT_EQ(Refusal({"", {}, {"toy.name=b"}}), "loaded");
    EXPECT_TRUE(toy_.hook_ran);
    EXPECT_FALSE(toy_.loaded.used_alias);
    EXPECT_TRUE(toy_.loaded.Assigned("name"));
}

TEST_F(ConfigSchemaTest, DescribingTwiceIsABug) {
    ToyConfig again;
    EXPECT_THROW(schema_.Add(again), std::logic_error);
    std::int64_t x = 0;
    Section section("s");
    section.Key("x", x, "x");
    EXPECT_THROW(section.Key("x", x, "x again"), std::logic_error);
    EXPECT_THROW(section.DeprecatedAlias("old.y", "y"), std::logic_error) << "an alias of no key";
}

TEST(LogConfigTest, LevelsAndFormatsAreChecked) {
    LogConfig log;
    EXPECT_TRUE(log.Validate());
    log.level = "loud";
    ASSERT_FALSE(log.Validate());
    EXPECT_EQ(log.Validate().error().message,
              "config: log.level must be one of trace, debug, info, warn, error (got 'loud')");
    log.level = "trace";
    log.format = "xml";
    ASSERT_FALSE(log.Validate());
    EXPECT_NE(log.Validate().error().message.find("log.format must be console or json"), std::string::npos);
    log.format = "json";
    EXPECT_TRUE(log.Validate());
}

}  // namespace
}  // namespace mh::config
