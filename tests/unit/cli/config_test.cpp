#include "cli/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace mh::cli {
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

TEST_F(ConfigTest, MailDefaultsToSubmissionWithStartTls) {
    auto config = LoadConfig({});
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->mail.host, "");
    EXPECT_EQ(config->mail.port, 587);
    EXPECT_EQ(config->mail.security, "starttls");
    EXPECT_TRUE(config->warnings.empty());
}

TEST_F(ConfigTest, TheExampleFileLoadsWithoutWarnings) {
    auto config = LoadConfig({std::string(MH_TEST_SOURCE_DIR) + "/config/example.toml", {}, {}});
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_TRUE(config->warnings.empty()) << config->warnings.front();
}

// The Deye Hard Backend's FASTMAIL__* settings (port 587, STARTTLS, login, a sender name), spelled for meterhub.
TEST_F(ConfigTest, AProvidersSubmissionSettingsAreExpressible) {
    auto config = LoadConfig({Write("[mail]\nhost = \"smtp.example.com\"\nport = 587\nsecurity = \"starttls\"\n"
                                    "username = \"user@example.com\"\npassword = \"secret\"\n"
                                    "from = \"noreply@example.com\"\nfrom_name = \"Deye Hard\"\n"),
                              {{"MH_MAIL_PASSWORD", "from the environment"}},
                              {}});
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->mail.host, "smtp.example.com");
    EXPECT_EQ(config->mail.username, "user@example.com");
    EXPECT_EQ(config->mail.password, "from the environment");
    EXPECT_EQ(config->mail.from_name, "Deye Hard");
    EXPECT_TRUE(config->warnings.empty());
}

TEST_F(ConfigTest, TheOldSmtpKeysStillWorkWithTheOldDefaultsAndAWarning) {
    auto file = LoadConfig({Write("[smtp]\nhost = \"relay.lan\"\nfrom = \"hub@example.org\"\n"), {}, {}});
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ(file->mail.host, "relay.lan");
    EXPECT_EQ(file->mail.from, "hub@example.org");
    EXPECT_EQ(file->mail.port, 25) << "the plain client's port";
    EXPECT_EQ(file->mail.security, "none") << "the plain client spoke no TLS";
    std::string warnings;
    for (const auto& w : file->warnings) warnings += w + "\n";
    EXPECT_NE(warnings.find("smtp.host is deprecated; use mail.host"), std::string::npos) << warnings;
    EXPECT_NE(warnings.find("smtp.from is deprecated; use mail.from"), std::string::npos) << warnings;
    EXPECT_NE(warnings.find("mail.port defaults to 25"), std::string::npos) << warnings;

    auto env = LoadConfig({"", {{"MH_SMTP_HOST", "relay.lan"}, {"MH_SMTP_PORT", "2525"}}, {}});
    ASSERT_TRUE(env) << env.error().message;
    EXPECT_EQ(env->mail.host, "relay.lan");
    EXPECT_EQ(env->mail.port, 2525);
    EXPECT_EQ(env->mail.security, "none");
    EXPECT_FALSE(env->warnings.empty());

    auto mixed = LoadConfig({"", {}, {"smtp.host=relay.lan", "mail.security=starttls"}});
    ASSERT_TRUE(mixed) << mixed.error().message;
    EXPECT_EQ(mixed->mail.security, "starttls") << "what [mail] says wins over the old defaults";
    EXPECT_EQ(mixed->mail.port, 25);

    auto both = LoadConfig({Write("[smtp]\nhost = \"a\"\n[mail]\nhost = \"b\"\n"), {}, {}});
    ASSERT_FALSE(both);
    EXPECT_NE(both.error().message.find("both"), std::string::npos) << both.error().message;
}

TEST_F(ConfigTest, MailSettingsThatCannotWorkAreRefused) {
    const auto refused = [](std::vector<std::string> overrides) {
        auto config = LoadConfig({"", {}, std::move(overrides)});
        return config ? std::string("accepted") : config.error().message;
    };
    EXPECT_NE(refused({"mail.security=ssl"}).find("mail.security must be starttls, tls or none"), std::string::npos);
    EXPECT_NE(refused({"mail.username=u"}).find("go together"), std::string::npos);
    EXPECT_NE(refused({"mail.password=p"}).find("go together"), std::string::npos);
    EXPECT_NE(refused({"mail.host=smtp.example.com", "mail.security=none", "mail.username=u", "mail.password=p"})
                  .find("unencrypted"),
              std::string::npos);
    EXPECT_EQ(refused({"mail.host=127.0.0.1", "mail.security=none", "mail.username=u", "mail.password=p"}), "accepted")
        << "a login without TLS to this machine never crosses the network";
    EXPECT_NE(refused({"mail.host=smtp.example.com/x?y"}).find("mail.host"), std::string::npos);
    EXPECT_NE(refused({"mail.host=smtp.example.com:25"}).find("mail.host"), std::string::npos)
        << "the port is mail.port";
    EXPECT_EQ(refused({"mail.host=::1"}), "accepted");
    EXPECT_NE(refused({"mail.host=smtp.example.com", "mail.from=not an address"}).find("mail.from"), std::string::npos);
    EXPECT_NE(refused({"mail.port=0"}).find("mail.port"), std::string::npos);
    EXPECT_NE(refused({"mail.timeout_s=0"}).find("mail.timeout_s"), std::string::npos);
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

// The keys (and so the environment variables) are the ones meterhub has always read, in the order of the example
// file; a module's section moving between folders must not rename one.
TEST_F(ConfigTest, TheKeysAreTheSameAsBeforeAndEachSaysWhatItIs) {
    const std::vector<std::string> expected = {"storage.path",
                                               "storage.url",
                                               "storage.max_connections",
                                               "http.address",
                                               "http.port",
                                               "http.threads",
                                               "http.body_limit_kb",
                                               "http.header_timeout_ms",
                                               "http.idle_timeout_s",
                                               "http.max_connections",
                                               "http.public_url",
                                               "auth.jwt_secret",
                                               "auth.token_lifetime_s",
                                               "auth.login_attempts_per_minute",
                                               "auth.api_requests_per_minute",
                                               "auth.cookie_secure",
                                               "solarman.enabled",
                                               "solarman.address",
                                               "solarman.port",
                                               "solarman.idle_timeout_s",
                                               "solarman.max_connections",
                                               "solarman.max_buffer_kb",
                                               "solarman.maps_dir",
                                               "solarman.poll_interval_s",
                                               "solarman.poll_rescan_s",
                                               "mqtt.host",
                                               "mqtt.port",
                                               "mqtt.client_id",
                                               "mqtt.username",
                                               "mqtt.password",
                                               "mqtt.keepalive_s",
                                               "mqtt.reconnect_max_s",
                                               "mqtt.tls",
                                               "mqtt.ca_file",
                                               "mqtt.cert_file",
                                               "mqtt.key_file",
                                               "mqtt.share_group",
                                               "mqtt.max_pending",
                                               "opendtu.mqtt",
                                               "opendtu.base_topic",
                                               "mail.host",
                                               "mail.port",
                                               "mail.security",
                                               "mail.username",
                                               "mail.password",
                                               "mail.from",
                                               "mail.from_name",
                                               "mail.ca_file",
                                               "mail.timeout_s",
                                               "tsdb.checkpoint_interval_s",
                                               "tsdb.checkpoint_log_mb",
                                               "tsdb.max_queue_samples",
                                               "tsdb.chunk_samples",
                                               "tsdb.gap_cap_s",
                                               "tsdb.max_future_s",
                                               "tsdb.sync",
                                               "retention.default_raw_days",
                                               "retention.purge_interval_s",
                                               "log.level",
                                               "log.format",
                                               "demo.interval_s"};
    std::vector<std::string> keys;
    for (const auto& key : ConfigKeys()) {
        keys.push_back(key.key);
        EXPECT_FALSE(key.description.empty()) << key.key;
        EXPECT_LE(key.description.size(), 100u) << key.key << ": one short line";
        EXPECT_EQ(key.description.find('\n'), std::string::npos) << key.key;
    }
    EXPECT_EQ(keys, expected);
}

// LoadConfig runs every module's Validate(): one value each module refuses, named in the error.
TEST_F(ConfigTest, EverySectionIsValidatedOnLoad) {
    for (const std::string bad :
         {"storage.path=", "http.port=70000", "auth.token_lifetime_s=1", "solarman.max_buffer_kb=1", "mqtt.port=0",
          "opendtu.base_topic=a/#", "mail.timeout_s=0", "tsdb.chunk_samples=1", "retention.purge_interval_s=1",
          "log.level=loud", "demo.interval_s=0"}) {
        auto config = LoadConfig({"", {}, {bad}});
        ASSERT_FALSE(config) << bad;
        const std::string key = bad.substr(0, bad.find('='));
        EXPECT_NE(config.error().message.find("config: " + key), std::string::npos) << config.error().message;
    }
}

// Serve hands the mail section to the SMTP client through the mail module's one mapping.
TEST_F(ConfigTest, TheMailSectionMapsOntoTheSmtpClientsOptions) {
    auto config = LoadConfig({"",
                              {},
                              {"mail.host=smtp.example.com", "mail.security=tls", "mail.port=465", "mail.username=u",
                               "mail.password=p", "mail.timeout_s=12"}});
    ASSERT_TRUE(config) << config.error().message;
    auto smtp = net::SmtpOptionsFrom(config->mail);
    ASSERT_TRUE(smtp) << smtp.error().message;
    EXPECT_EQ(smtp->host, "smtp.example.com");
    EXPECT_EQ(smtp->port, 465);
    EXPECT_EQ(smtp->security, net::MailSecurity::kTls);
    EXPECT_EQ(smtp->username, "u");
    EXPECT_EQ(smtp->timeout, std::chrono::seconds(12));
}

// `meterhub config keys` prints a file that loads as it is, at the defaults, with a section per module.
TEST_F(ConfigTest, TheKeysCommandPrintsALoadableFileOfTheDefaults) {
    const std::string text = KeysAsToml(ConfigKeys());
    EXPECT_EQ(text.rfind("[storage]\npath = \"data/meterhub.db\"  # ", 0), 0u) << text.substr(0, 80);
    EXPECT_NE(text.find("\n[mail]\nhost = \"\"  # "), std::string::npos);
    auto config = LoadConfig({Write(text), {}, {}});
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_TRUE(config->warnings.empty());
    EXPECT_EQ(config->mail.port, 587);
    EXPECT_EQ(config->http.public_url, "http://localhost:8080");
}

}  // namespace
}  // namespace mh::cli
