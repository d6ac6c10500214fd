// MqttClient against a real Mosquitto: subscriptions routed to their handlers, QoS 1 both ways, handlers off the
// network thread, the bounded queue, reconnect and re-subscribe, shared subscriptions, request/reply, and bad
// input. One broker for the binary (mqtt_test_broker.hpp) except where a test stops its own.
#include "net/mqtt_client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/thread_executor.hpp"
#include "mqtt_test_broker.hpp"

namespace mh::net::testing {
namespace {

class MqttClientTest : public ::testing::Test {
  protected:
    std::string Id(const std::string& role) {
        return std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" + role;
    }
    std::unique_ptr<MqttClient> Client(const std::string& role, Executor& executor) {
        return StartClient(Options(SharedBroker().port(), Id(role)), executor);
    }
    static bool Subscribed(MqttClient& c, std::size_t n) {
        const auto s = c.stats();
        return s.connected && s.subscriptions == n && s.subscribed == n;
    }

    ThreadExecutor workers_{2, "test handlers"};  // outlives the clients of each test
};

TEST_F(MqttClientTest, RoutesEachSubscriptionToItsHandler) {
    Inbox solar, boards, exact;
    auto reader = Client("reader", workers_);
    ASSERT_TRUE(reader->Subscribe("solar/#", 0, solar.Handler()));  // before the connection is up
    ASSERT_TRUE(reader->Subscribe("fablab/+/state", 1, boards.Handler()));
    ASSERT_TRUE(WaitFor([&] { return Subscribed(*reader, 2); }));
    ASSERT_TRUE(reader->Subscribe("meter/total", 1, exact.Handler()));  // ... and after
    ASSERT_TRUE(WaitFor([&] { return Subscribed(*reader, 3); }));

    auto writer = Client("writer", workers_);
    ASSERT_TRUE(WaitFor([&] { return writer->connected(); }));
    ASSERT_TRUE(writer->Publish("solar/1161/0/power", "16.1", 1));
    ASSERT_TRUE(writer->Publish("fablab/lathe/state", "on", 1));
    ASSERT_TRUE(writer->Publish("fablab/lathe/power", "not routed", 1));
    ASSERT_TRUE(writer->Publish("meter/total", "42", 1));
    ASSERT_TRUE(writer->Publish("solar/1161/1/voltage", "30.4", 1));
    ASSERT_TRUE(WaitFor([&] { return solar.size() == 2 && boards.size() == 1 && exact.size() == 1; }));

    EXPECT_EQ(solar.payloads(), (std::vector<std::string>{"16.1", "30.4"}));
    EXPECT_EQ(solar.messages()[1].topic, "solar/1161/1/voltage");
    EXPECT_EQ(boards.messages()[0].topic, "fablab/lathe/state");
    EXPECT_EQ(exact.messages()[0].payload, "42");
    EXPECT_TRUE(WaitFor([&] { return reader->stats().handled == 4; }));
    EXPECT_EQ(reader->stats().received, 4u);  // the broker never sent fablab/lathe/power
    EXPECT_EQ(reader->stats().dropped, 0u);
}

TEST_F(MqttClientTest, Qos1IsDeliveredAndAcknowledged) {
    Inbox inbox, late;  // before the clients: handlers may still run until a client is stopped
    auto reader = Client("reader", workers_);
    ASSERT_TRUE(reader->Subscribe("q/#", 1, inbox.Handler()));
    ASSERT_TRUE(WaitFor([&] { return Subscribed(*reader, 1); }));
    auto writer = Client("writer", workers_);
    ASSERT_TRUE(WaitFor([&] { return writer->connected(); }));
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(writer->Publish("q/" + std::to_string(i), std::to_string(i), 1, false));
    ASSERT_TRUE(WaitFor([&] { return inbox.size() == 50; }));
    std::set<std::string> payloads;
    for (const auto& m : inbox.messages()) {
        EXPECT_EQ(m.qos, 1) << m.topic;
        EXPECT_FALSE(m.retain);
        payloads.insert(m.payload);
    }
    EXPECT_EQ(payloads.size(), 50u);
    // Every PUBACK came back: nothing waits any more.
    EXPECT_TRUE(WaitFor([&] { return writer->stats().outgoing == 0; }));
    EXPECT_EQ(writer->stats().published, 50u);

    // A retained QoS 1 message reaches a later subscriber, marked retained.
    ASSERT_TRUE(writer->Publish("keep/last", "kept", 1, true));
    ASSERT_TRUE(WaitFor([&] { return writer->stats().outgoing == 0; }));
    ASSERT_TRUE(reader->Subscribe("keep/last", 1, late.Handler()));
    ASSERT_TRUE(WaitFor([&] { return late.size() == 1; }));
    EXPECT_TRUE(late.messages()[0].retain);
    EXPECT_EQ(late.messages()[0].payload, "kept");
    ASSERT_TRUE(writer->Publish("keep/last", "", 1, true));  // clears the retained message for later runs
}

TEST_F(MqttClientTest, HandlersRunOffTheNetworkThread) {
    Inbox inbox;
    auto reader = Client("reader", workers_);
    ASSERT_TRUE(reader->Subscribe("t/threads", 1, inbox.Handler()));
    ASSERT_TRUE(WaitFor([&] { return Subscribed(*reader, 1); }));
    ASSERT_TRUE(reader->Publish("t/threads", "x", 1));  // to itself
    ASSERT_TRUE(WaitFor([&] { return inbox.size() == 1; }));
    const auto handler_thread = inbox.threads()[0];
    EXPECT_NE(handler_thread, reader->network_thread_id());
    EXPECT_NE(handler_thread, std::this_thread::get_id());
    EXPECT_NE(reader->network_thread_id(), std::thread::id());
}

TEST_F(MqttClientTest, AFullQueueDropsAndCountsAndTheClientGoesOn) {
    HeldExecutor held;
    Inbox inbox;
    auto o = Options(SharedBroker().port(), Id("reader"));
    o.max_pending = 3;
    auto reader = StartClient(o, held);
    ASSERT_TRUE(reader->Subscribe("full/#", 1, inbox.Handler()));
    ASSERT_TRUE(WaitFor([&] { return Subscribed(*reader, 1); }));
    auto writer = Client("writer", workers_);
    ASSERT_TRUE(WaitFor([&] { return writer->connected(); }));
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer->Publish("full/" + std::to_string(i), std::to_string(i), 1));

    // The network thread took all ten without waiting for a handler: three wait, seven were dropped.
    ASSERT_TRUE(WaitFor([&] { return reader->stats().received == 10; }));
    auto s = reader->stats();
    EXPECT_EQ(s.pending, 3u);
    EXPECT_EQ(s.dropped, 7u);
    EXPECT_EQ(held.held(), 3u);
    EXPECT_EQ(inbox.size(), 0u);

    held.Release();
    EXPECT_EQ(inbox.payloads(), (std::vector<std::string>{"0", "1", "2"}));
    EXPECT_EQ(reader->stats().pending, 0u);
    ASSERT_TRUE(writer->Publish("full/after", "after", 1));
    ASSERT_TRUE(WaitFor([&] { return inbox.size() == 4; }));
    EXPECT_EQ(inbox.messages().back().payload, "after");
    EXPECT_EQ(reader->stats().handled, 4u);
    EXPECT_EQ(reader->stats().dropped, 7u);
}

TEST_F(MqttClientTest, ConnectsWhenTheBrokerAppearsAndResubscribesAfterItRestarts) {
    auto broker = std::make_unique<MosquittoProcess>();  // its own: this test stops it
    const auto port = broker->port();
    broker->Stop();
    Inbox a, b;
    auto reader = StartClient(Options(port, Id("reader")), workers_);
    ASSERT_TRUE(reader->Subscribe("a/#", 1, a.Handler()));
    ASSERT_TRUE(reader->Subscribe("b/+", 0, b.Handler()));
    EXPECT_FALSE(reader->connected());
    ASSERT_TRUE(WaitFor([&] { return reader->stats().connect_failures > 0; }));
    EXPECT_FALSE(reader->stats().last_error.empty());
    EXPECT_EQ(reader->Publish("a/x", "1", 1).error().code, Errc::kUnavailable);
    EXPECT_EQ(reader->Publish("a/x", "1", 0).error().code, Errc::kUnavailable);

    broker->Start();
    ASSERT_TRUE(WaitFor([&] { return Subscribed(*reader, 2); }));
    broker->Restart();
    ASSERT_TRUE(WaitFor([&] { return reader->stats().connects >= 2 && Subscribed(*reader, 2); }));

    auto writer = StartClient(Options(port, Id("writer")), workers_);
    ASSERT_TRUE(WaitFor([&] { return writer->connected(); }));
    ASSERT_TRUE(writer->Publish("a/after", "back a", 1));
    ASSERT_TRUE(writer->Publish("b/after", "back b", 1));
    ASSERT_TRUE(WaitFor([&] { return a.size() == 1 && b.size() == 1; }));
    EXPECT_EQ(a.messages()[0].payload, "back a");
    EXPECT_EQ(b.messages()[0].payload, "back b");
}

TEST_F(MqttClientTest, ASharedGroupGetsEachMessageOnceBetweenItsMembers) {
    Inbox first, second, alone;
    auto o = Options(SharedBroker().port(), Id("first"));
    o.share_group = "meterhubs";
    auto one = StartClient(o, workers_);
    o.client_id = Id("second");
    auto two = StartClient(o, workers_);
    auto solo = Client("solo", workers_);  // no group: its own subscription gets everything
    ASSERT_TRUE(one->Subscribe("work/#", 1, first.Handler(), MqttShare::kGroup));
    ASSERT_TRUE(two->Subscribe("work/#", 1, second.Handler(), MqttShare::kGroup));
    ASSERT_TRUE(solo->Subscribe("work/#", 1, alone.Handler(), MqttShare::kGroup));
    ASSERT_TRUE(WaitFor([&] { return Subscribed(*one, 1) && Subscribed(*two, 1) && Subscribed(*solo, 1); }));

    auto writer = Client("writer", workers_);
    ASSERT_TRUE(WaitFor([&] { return writer->connected(); }));
    constexpr int kMessages = 100;
    for (int i = 0; i < kMessages; ++i) {
        ASSERT_TRUE(writer->Publish("work/" + std::to_string(i), std::to_string(i), 1));
    }
    ASSERT_TRUE(WaitFor([&] { return first.size() + second.size() >= kMessages && alone.size() == kMessages; }));
    ASSERT_TRUE(WaitFor([&] { return writer->stats().outgoing == 0; }));
    std::multiset<std::string> seen;
    for (auto* inbox : {&first, &second}) {
        for (const auto& m : inbox->messages()) {
            seen.insert(m.payload);
            EXPECT_EQ(m.topic, "work/" + m.payload);  // the real topic, not $share/...
        }
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(kMessages));
    for (int i = 0; i < kMessages; ++i) EXPECT_EQ(seen.count(std::to_string(i)), 1u) << i;
    EXPECT_GT(first.size(), 0u);
    EXPECT_GT(second.size(), 0u);
}

TEST_F(MqttClientTest, AHandlerAnswersARequest) {
    Inbox replies;
    auto responder = Client("responder", workers_);
    MqttClient* r = responder.get();
    ASSERT_TRUE(responder->Subscribe(
        "a/+", 1, [r](const MqttMessage& m) { EXPECT_TRUE(r->Publish(m.topic + "/reply", "re: " + m.payload, 1)); }));
    auto requester = Client("requester", workers_);
    ASSERT_TRUE(requester->Subscribe("a/7/reply", 1, replies.Handler()));
    ASSERT_TRUE(WaitFor([&] { return Subscribed(*responder, 1) && Subscribed(*requester, 1); }));
    ASSERT_TRUE(requester->Publish("a/7", "open the door", 1));
    ASSERT_TRUE(WaitFor([&] { return replies.size() == 1; }));
    EXPECT_EQ(replies.messages()[0].topic, "a/7/reply");
    EXPECT_EQ(replies.messages()[0].payload, "re: open the door");
    EXPECT_EQ(responder->stats().published, 1u);
}

TEST_F(MqttClientTest, AnOversizedPayloadIsDroppedAndCounted) {
    Inbox inbox;
    auto o = Options(SharedBroker().port(), Id("reader"));
    o.max_payload = 1024;
    auto reader = StartClient(o, workers_);
    ASSERT_TRUE(reader->Subscribe("big/#", 1, inbox.Handler()));
    ASSERT_TRUE(WaitFor([&] { return Subscribed(*reader, 1); }));
    auto writer = Client("writer", workers_);
    ASSERT_TRUE(WaitFor([&] { return writer->connected(); }));
    ASSERT_TRUE(writer->Publish("big/one", std::string(4096, 'x'), 1));
    ASSERT_TRUE(writer->Publish("big/two", "small", 1));
    ASSERT_TRUE(WaitFor([&] { return inbox.size() == 1; }));
    EXPECT_EQ(inbox.messages()[0].payload, "small");
    EXPECT_EQ(reader->stats().oversized, 1u);
    EXPECT_EQ(reader->stats().received, 2u);
    // Refused on the way out, too.
    EXPECT_EQ(reader->Publish("big/three", std::string(1025, 'x')).error().code, Errc::kInvalidArgument);
}

TEST_F(MqttClientTest, RefusesBadInput) {
    MqttOptions no_host;
    no_host.host = "";
    EXPECT_EQ(MqttClient::Start(no_host, workers_).error().code, Errc::kInvalidArgument);
    auto bad_group = Options(1, "x");
    bad_group.share_group = "a/b";
    EXPECT_EQ(MqttClient::Start(bad_group, workers_).error().code, Errc::kInvalidArgument);

    auto client = Client("client", workers_);
    Inbox inbox;
    EXPECT_EQ(client->Subscribe("a/#/b", 0, inbox.Handler()).error().code, Errc::kInvalidArgument);
    EXPECT_EQ(client->Subscribe("a/b", 2, inbox.Handler()).error().code, Errc::kInvalidArgument);
    EXPECT_EQ(client->Subscribe("$share/g/a", 0, inbox.Handler()).error().code, Errc::kInvalidArgument);
    EXPECT_EQ(client->Subscribe("a/b", 0, nullptr).error().code, Errc::kInvalidArgument);
    EXPECT_EQ(client->Unsubscribe("never/subscribed").error().code, Errc::kNotFound);
    ASSERT_TRUE(WaitFor([&] { return client->connected(); }));
    EXPECT_EQ(client->Publish("a/+", "x").error().code, Errc::kInvalidArgument);
    EXPECT_EQ(client->Publish("a/b", "x", 2).error().code, Errc::kInvalidArgument);
    EXPECT_EQ(client->stats().subscriptions, 0u);
}

}  // namespace
}  // namespace mh::net::testing
