// MqttClient's credentials and TLS against the shared test broker: a listener that requires a password, TLS
// listeners with a throwaway CA (one also requires a client certificate). Refusals must show as failed attempts
// with a reason, never as a connection.
#include <gtest/gtest.h>

#include "core/thread_executor.hpp"
#include "mqtt_test_broker.hpp"
#include "net/mqtt_client.hpp"

namespace mh::net::testing {
namespace {

class MqttSecurityTest : public ::testing::Test {
  protected:
    MqttOptions OptionsFor(std::uint16_t port, const std::string& role) {
        return Options(port, std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" + role);
    }
    // Waits until the client has failed at least twice (so a retry happened) and never connected.
    static bool KeepsFailing(MqttClient& c) {
        if (!WaitFor([&] { return c.stats().connect_failures >= 2; })) return false;
        return c.stats().connects == 0 && !c.connected();
    }
    ThreadExecutor workers_{1, "test handlers"};
};

TEST_F(MqttSecurityTest, TheRightPasswordConnectsAndAWrongOneIsRefused) {
    auto o = OptionsFor(SharedBroker().auth_port(), "good");
    o.username = kUser;
    o.password = kPassword;
    Inbox inbox;
    auto good = StartClient(o, workers_);
    ASSERT_TRUE(good->Subscribe("secure/#", 1, inbox.Handler()));
    ASSERT_TRUE(WaitFor([&] { return good->stats().subscribed == 1; }));
    ASSERT_TRUE(good->Publish("secure/x", "hello", 1));
    ASSERT_TRUE(WaitFor([&] { return inbox.size() == 1; }));

    auto wrong = OptionsFor(SharedBroker().auth_port(), "wrong");
    wrong.username = kUser;
    wrong.password = "wrong horse";
    auto refused = StartClient(wrong, workers_);
    ASSERT_TRUE(KeepsFailing(*refused));
    EXPECT_NE(refused->stats().last_error.find("not authorised"), std::string::npos) << refused->stats().last_error;

    auto anonymous = StartClient(OptionsFor(SharedBroker().auth_port(), "anonymous"), workers_);
    ASSERT_TRUE(KeepsFailing(*anonymous));
    EXPECT_EQ(anonymous->Publish("secure/x", "let me in").error().code, Errc::kUnavailable);
}

TEST_F(MqttSecurityTest, TlsConnectsWithTheBrokersCa) {
    auto o = OptionsFor(SharedBroker().tls_port(), "tls");
    o.tls.enabled = true;
    o.tls.ca_file = SharedBroker().File("ca.crt");
    Inbox inbox;
    auto client = StartClient(o, workers_);
    ASSERT_TRUE(client->Subscribe("tls/#", 1, inbox.Handler()));
    ASSERT_TRUE(WaitFor([&] { return client->stats().subscribed == 1; }));
    ASSERT_TRUE(client->Publish("tls/echo", "over tls", 1));
    ASSERT_TRUE(WaitFor([&] { return inbox.size() == 1; }));
    EXPECT_EQ(inbox.messages()[0].payload, "over tls");
}

TEST_F(MqttSecurityTest, TlsFailsWithoutTrustInTheBrokersCertificate) {
    auto o = OptionsFor(SharedBroker().tls_port(), "untrusting");
    o.tls.enabled = true;  // no ca_file: the system's CAs, which never signed the test broker's certificate
    auto client = StartClient(o, workers_);
    ASSERT_TRUE(KeepsFailing(*client));
    EXPECT_FALSE(client->stats().last_error.empty());

    auto plain = StartClient(OptionsFor(SharedBroker().tls_port(), "plain"), workers_);  // no TLS at all
    ASSERT_TRUE(KeepsFailing(*plain));
}

TEST_F(MqttSecurityTest, AClientCertificateIsPresentedWhenTheBrokerRequiresOne) {
    auto o = OptionsFor(SharedBroker().cert_port(), "with-cert");
    o.tls.enabled = true;
    o.tls.ca_file = SharedBroker().File("ca.crt");
    o.tls.cert_file = SharedBroker().File("client.crt");
    o.tls.key_file = SharedBroker().File("client.key");
    auto client = StartClient(o, workers_);
    ASSERT_TRUE(WaitFor([&] { return client->connected(); }));

    auto without = o;
    without.client_id += "-none";
    without.tls.cert_file.clear();
    without.tls.key_file.clear();
    auto refused = StartClient(without, workers_);
    ASSERT_TRUE(KeepsFailing(*refused));
}

TEST_F(MqttSecurityTest, UnreadableTlsFilesAreAnErrorAtStart) {
    auto o = OptionsFor(SharedBroker().tls_port(), "missing");
    o.tls.enabled = true;
    o.tls.ca_file = "/nonexistent/ca.crt";
    auto started = MqttClient::Start(o, workers_);
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, Errc::kInvalidArgument);
    EXPECT_NE(started.error().message.find("/nonexistent/ca.crt"), std::string::npos);
    o.tls.ca_file = SharedBroker().File("ca.crt");
    o.tls.cert_file = SharedBroker().File("client.crt");  // without its key
    EXPECT_EQ(MqttClient::Start(o, workers_).error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace mh::net::testing
