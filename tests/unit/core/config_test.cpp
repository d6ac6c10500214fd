#include "core/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace mh {
namespace {

class ConfigTest : public ::testing::Test {
  protected:
    std::string Write(const std::string& text) {
        const auto path = std::filesystem::temp_directory_path() /
                          ("mh_config_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++) + ".toml");
        std::ofstream(path) << text;
        files_.push_back(path);
        return path.string();
    }
    void TearDown() override {
        for (const auto& f : files_) std::filesystem::remove(f);
    }
    int counter_ = 0;
    std::vector<std::filesystem::path> files_;
};

TEST_F(ConfigTest, DefaultsAreValid) {
    auto config = LoadConfig({});
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->storage.path, "data/meterhub.db");
    EXPECT_EQ(config->retention.default_raw_days, 730);
    EXPECT_TRUE(config->tsdb.sync);
}

TEST_F(ConfigTest, FileThenEnvironmentThenOverrides) {
    ConfigSources sources;
    sources.file = Write("[storage]\npath = \"/from/file.db\"\n[log]\nlevel = \"debug\"\n[tsdb]\ngap_cap_s = 900\n");
    sources.environment = {{"MH_LOG_LEVEL", "warn"}, {"MH_TSDB_GAP_CAP_S", "1200"}};
    sources.overrides = {"tsdb.gap_cap_s=60"};
    auto config = LoadConfig(sources);
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->storage.path, "/from/file.db");  // only the file set it
    EXPECT_EQ(config->log.level, "warn");              // environment beats file
    EXPECT_EQ(config->tsdb.gap_cap_s, 60);             // flag beats environment
}

// Several instances on one database must sign and check tokens with one secret: it comes from the environment
// (or the file) the same way on each, and a short one is refused.
TEST_F(ConfigTest, TheJwtSecretCanComeFromTheEnvironment) {
    ConfigSources sources;
    sources.environment = {{"MH_AUTH_JWT_SECRET", std::string(40, 'k')}};
    auto config = LoadConfig(sources);
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->auth.jwt_secret, std::string(40, 'k'));
    sources.environment = {{"MH_AUTH_JWT_SECRET", "short"}};
    auto refused = LoadConfig(sources);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("at least 32"), std::string::npos) << refused.error().message;
}

TEST_F(ConfigTest, UnknownKeysAreErrorsWithTheirName) {
    auto in_file = LoadConfig({Write("[storage]\npaht = \"x\"\n"), {}, {}});
    ASSERT_FALSE(in_file);
    EXPECT_NE(in_file.error().message.find("unknown key 'storage.paht'"), std::string::npos) << in_file.error().message;

    auto in_env = LoadConfig({"", {{"MH_STORAGE_PAHT", "x"}}, {}});
    ASSERT_FALSE(in_env);
    EXPECT_NE(in_env.error().message.find("MH_STORAGE_PAHT"), std::string::npos);

    auto in_flag = LoadConfig({"", {}, {"nope.key=1"}});
    ASSERT_FALSE(in_flag);
    EXPECT_NE(in_flag.error().message.find("nope.key"), std::string::npos);
}

TEST_F(ConfigTest, WrongTypesAndBadValuesSayWhat) {
    auto type = LoadConfig({Write("[tsdb]\ngap_cap_s = \"ten\"\n"), {}, {}});
    ASSERT_FALSE(type);
    EXPECT_NE(type.error().message.find("tsdb.gap_cap_s must be a whole number"), std::string::npos);

    auto range = LoadConfig({"", {}, {"log.format=xml"}});
    ASSERT_FALSE(range);
    EXPECT_NE(range.error().message.find("log.format"), std::string::npos);

    auto syntax = LoadConfig({Write("[storage\npath = 1\n"), {}, {}});
    ASSERT_FALSE(syntax);
    EXPECT_NE(syntax.error().message.find(":1:"), std::string::npos) << syntax.error().message;

    auto number = LoadConfig({"", {{"MH_TSDB_SYNC", "maybe"}}, {}});
    ASSERT_FALSE(number);
}

TEST_F(ConfigTest, ReservedVariablesOfOtherModulesAreIgnored) {
    auto config = LoadConfig({"", {{"MH_USMS_USERNAME", "x"}, {"MH_CONFIG", "y"}}, {}});
    EXPECT_TRUE(config);
}

// config/example.toml must list every key with its default, and load as it is.
TEST_F(ConfigTest, ExampleFileListsEveryKeyAtItsDefault) {
    const std::string example = std::string(MH_TEST_SOURCE_DIR) + "/config/example.toml";
    auto config = LoadConfig({example, {}, {}});
    ASSERT_TRUE(config) << config.error().message;
    std::ifstream in(example);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const auto& key : ConfigKeys()) {
        const std::string name = key.key.substr(key.key.find('.') + 1);
        EXPECT_NE(text.find(name + " = " + key.default_toml), std::string::npos)
            << key.key << " = " << key.default_toml;
    }
}

}  // namespace
}  // namespace mh
