// The net layer's config sections on their own: [http], [mqtt] and [mail], and the mail rules that the SMTP
// client shares with [mail]'s Validate().
#include <gtest/gtest.h>

#include <filesystem>

#include "net/http_config.hpp"
#include "net/mail_config.hpp"
#include "net/mqtt_config.hpp"

namespace mh::net {
namespace {

// The message of `config.Validate()`, or "valid".
template <typename T>
std::string Verdict(const T& config) {
    auto status = config.Validate();
    return status ? std::string("valid") : status.error().message;
}

TEST(HttpConfigTest, DefaultsAreValidAndLimitsAreChecked) {
    HttpConfig http;
    EXPECT_EQ(Verdict(http), "valid");
    http.port = 0;
    EXPECT_EQ(Verdict(http), "valid") << "port 0 picks a free one";
    http.port = 65536;
    EXPECT_EQ(Verdict(http), "config: http.port must be 0..65535");
    http = {};
    http.threads = 257;
    EXPECT_EQ(Verdict(http), "config: http.threads must be 0..256");
    http = {};
    http.body_limit_kb = 0;
    EXPECT_EQ(Verdict(http), "config: http.body_limit_kb must be 1..1048576");
    http = {};
    http.header_timeout_ms = 99;
    EXPECT_EQ(Verdict(http), "config: http.header_timeout_ms must be at least 100");
    http = {};
    http.idle_timeout_s = 0;
    EXPECT_EQ(Verdict(http), "config: http.idle_timeout_s must be at least 1");
    http = {};
    http.max_connections = 0;
    EXPECT_EQ(Verdict(http), "config: http.max_connections must be at least 1");
}

TEST(MqttConfigTest, DefaultsAreValidAndBrokerSettingsAreChecked) {
    MqttConfig mqtt;
    EXPECT_EQ(Verdict(mqtt), "valid");
    mqtt.port = 0;
    EXPECT_EQ(Verdict(mqtt), "config: mqtt.port must be 1..65535");
    mqtt = {};
    mqtt.client_id = std::string(65, 'c');
    EXPECT_NE(Verdict(mqtt).find("mqtt.client_id must be at most 64"), std::string::npos);
    mqtt = {};
    mqtt.keepalive_s = 4;
    EXPECT_EQ(Verdict(mqtt), "config: mqtt.keepalive_s must be 5..65535");
    mqtt = {};
    mqtt.reconnect_max_s = 0;
    EXPECT_EQ(Verdict(mqtt), "config: mqtt.reconnect_max_s must be at least 1");
    mqtt = {};
    mqtt.cert_file = "client.pem";
    EXPECT_NE(Verdict(mqtt).find("mqtt.cert_file and mqtt.key_file go together"), std::string::npos);
    mqtt.key_file = "client.key";
    EXPECT_EQ(Verdict(mqtt), "valid");
    mqtt = {};
    for (const char* group : {"a/b", "a+", "#"}) {
        mqtt.share_group = group;
        EXPECT_EQ(Verdict(mqtt), "config: mqtt.share_group must not contain /, + or #") << group;
    }
    mqtt = {};
    mqtt.max_pending = 1'000'001;
    EXPECT_EQ(Verdict(mqtt), "config: mqtt.max_pending must be 1..1000000");
}

TEST(MailConfigTest, HostsAreNamesOrAddressesWithNothingElse) {
    for (const char* host :
         {"smtp.example.com", "relay-1.lan", "127.0.0.1", "::1", "[::1]", "fe80::1", "::ffff:1.2.3.4"}) {
        EXPECT_TRUE(IsMailHost(host)) << host;
    }
    for (const char* host : {"", "smtp.example.com:25", "smtp.example.com/x?y", "user@host", "a b", "[]"}) {
        EXPECT_FALSE(IsMailHost(host)) << host;
    }
    EXPECT_FALSE(IsMailHost(std::string(254, 'a')));
}

TEST(MailConfigTest, AddressesAreWhatSmtpCarries) {
    EXPECT_TRUE(IsMailAddress("meterhub@localhost"));
    EXPECT_TRUE(IsMailAddress("a.b+c@example.org"));
    for (const char* address : {"", "no-at-sign", "@example.org", "user@", "a b@example.org", "<a@b>", "a@b\r\n"}) {
        EXPECT_FALSE(IsMailAddress(address)) << address;
    }
    EXPECT_FALSE(IsMailAddress(std::string(250, 'a') + "@b.cd"));
}

TEST(MailConfigTest, SettingsThatCannotWorkAreRefused) {
    MailConfig mail;
    EXPECT_EQ(Verdict(mail), "valid") << "no host: mails go to the log";
    mail.security = "ssl";
    EXPECT_NE(Verdict(mail).find("mail.security must be starttls, tls or none (got 'ssl')"), std::string::npos);
    mail = {};
    mail.username = "u";
    EXPECT_NE(Verdict(mail).find("go together"), std::string::npos);
    mail = {};
    mail.host = "smtp.example.com";
    mail.from = "nobody";
    EXPECT_NE(Verdict(mail).find("mail.from must be an e-mail address"), std::string::npos);
    mail = {};
    mail.host = "smtp.example.com";
    mail.from_name = "Two\nLines";
    EXPECT_NE(Verdict(mail).find("mail.from_name must be one line"), std::string::npos);
    mail = {};
    mail.host = "smtp.example.com";
    mail.security = "none";
    mail.username = "u";
    mail.password = "p";
    EXPECT_NE(Verdict(mail).find("unencrypted"), std::string::npos);
    mail.host = "localhost";
    EXPECT_EQ(Verdict(mail), "valid") << "a login to this machine never crosses the network";
}

TEST(MailConfigTest, SmtpOptionsNeedAHostAndAReadableCaFile) {
    MailConfig mail;
    EXPECT_FALSE(SmtpOptionsFrom(mail)) << "no host, nothing to send through";
    mail.host = "smtp.example.com";
    mail.ca_file = (std::filesystem::temp_directory_path() / "mh-no-such-ca.pem").string();
    auto refused = SmtpOptionsFrom(mail);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "config: mail.ca_file " + mail.ca_file + " cannot be read");
    mail.ca_file = "";
    mail.security = "none";
    mail.port = 25;
    auto options = SmtpOptionsFrom(mail);
    ASSERT_TRUE(options) << options.error().message;
    EXPECT_EQ(options->port, 25);
    EXPECT_EQ(options->security, MailSecurity::kNone);
    EXPECT_EQ(options->timeout, std::chrono::seconds(30));
}

}  // namespace
}  // namespace mh::net
