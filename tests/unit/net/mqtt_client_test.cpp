// MqttClient against a real Mosquitto: subscribe and receive, publish from another thread, start before the
// broker is up, and come back after the broker restarts.
#include "net/mqtt_client.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "mosquitto.hpp"

namespace mh::net {
namespace {

using mh::testing::MosquittoProcess;
using mh::testing::WaitFor;

class Inbox {
  public:
    MqttClient::OnMessage Handler() {
        return [this](std::string_view topic, std::string_view payload) {
            std::lock_guard lock(mutex_);
            messages_.emplace_back(std::string(topic), std::string(payload));
        };
    }
    std::vector<std::pair<std::string, std::string>> messages() {
        std::lock_guard lock(mutex_);
        return messages_;
    }
    std::size_t size() { return messages().size(); }

  private:
    std::mutex mutex_;
    std::vector<std::pair<std::string, std::string>> messages_;
};

MqttOptions Options(std::uint16_t port, std::string id, std::vector<std::string> subscriptions = {}) {
    MqttOptions o;
    o.port = port;
    o.client_id = std::move(id);
    o.min_backoff = std::chrono::milliseconds(50);
    o.max_backoff = std::chrono::milliseconds(200);
    o.subscriptions = std::move(subscriptions);
    return o;
}

TEST(MqttClient, DeliversWhatMatchesItsSubscriptions) {
    MosquittoProcess broker;
    Inbox inbox;
    auto reader = MqttClient::Start(Options(broker.port(), "reader", {"solar/#"}), inbox.Handler());
    ASSERT_TRUE(reader);
    auto writer = MqttClient::Start(Options(broker.port(), "writer"), nullptr);
    ASSERT_TRUE(writer);
    ASSERT_TRUE(WaitFor([&] { return (*reader)->connected() && (*writer)->connected(); }));
    // The subscription is sent on connect; publish until the first message proves it is in place.
    ASSERT_TRUE(WaitFor([&] {
        (void)(*writer)->Publish("solar/116180212345/0/power", "16.1");
        return inbox.size() > 0;
    }));
    ASSERT_TRUE((*writer)->Publish("other/topic", "ignored"));
    ASSERT_TRUE((*writer)->Publish("solar/116180212345/1/voltage", "30.4"));
    ASSERT_TRUE(WaitFor([&] { return inbox.messages().back().first == "solar/116180212345/1/voltage"; }));
    for (const auto& [topic, payload] : inbox.messages()) EXPECT_TRUE(topic.starts_with("solar/")) << topic;
    EXPECT_EQ(inbox.messages().back().second, "30.4");
    EXPECT_GE((*reader)->stats().messages, 2u);
}

TEST(MqttClient, ConnectsOnceTheBrokerAppearsAndAfterItRestarts) {
    auto broker = std::make_unique<MosquittoProcess>();
    const auto port = broker->port();
    broker->Stop();
    Inbox inbox;
    auto reader = MqttClient::Start(Options(port, "patient", {"t/#"}), inbox.Handler());
    ASSERT_TRUE(reader);
    EXPECT_FALSE((*reader)->connected());
    EXPECT_EQ((*reader)->Publish("t/x", "1").error().code, Errc::kUnavailable);

    broker->Start();
    ASSERT_TRUE(WaitFor([&] { return (*reader)->connected(); }));
    broker->Restart();
    ASSERT_TRUE(WaitFor([&] { return (*reader)->stats().connects >= 2 && (*reader)->connected(); }));

    auto writer = MqttClient::Start(Options(port, "writer2"), nullptr);
    ASSERT_TRUE(writer);
    ASSERT_TRUE(WaitFor([&] {
        (void)(*writer)->Publish("t/after", "back");
        return inbox.size() > 0;
    }));
    EXPECT_EQ(inbox.messages().front().second, "back");
}

TEST(MqttClient, RefusesNoHost) {
    MqttOptions o;
    o.host = "";
    EXPECT_EQ(MqttClient::Start(o, nullptr).error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace mh::net
