// LiveHub without a server: a Puller plays the HTTP session, asking a stream for one piece at a time.
#include "web/live_hub.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace mh::web {
namespace {

using namespace std::chrono_literals;
using tsdb::SeriesSample;

constexpr std::int64_t kT0 = 1'790'000'000'000;
const TenantId kHome{11};
const TenantId kOther{22};
const SeriesId kPower{101};
const SeriesId kEnergy{102};
const SeriesId kForeign{201};

struct Piece {
    std::string data;
    bool more = true;
};

// The server's side of one stream: at most one pull outstanding, answers collected from any thread.
class Puller {
  public:
    explicit Puller(net::AsyncBodyStream stream) : stream_(std::move(stream)) {}

    void Pull() {
        stream_([answers = answers_](std::string data, bool more) {
            std::lock_guard lock(answers->mutex);
            answers->pieces.push_back({std::move(data), more});
            answers->arrived.notify_all();
        });
    }
    // The next piece answered, waiting up to `timeout` for it.
    std::optional<Piece> Next(std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock(answers_->mutex);
        if (!answers_->arrived.wait_for(lock, timeout, [&] { return !answers_->pieces.empty(); })) return std::nullopt;
        Piece piece = std::move(answers_->pieces.front());
        answers_->pieces.pop_front();
        return piece;
    }
    bool Answered() {
        std::lock_guard lock(answers_->mutex);
        return !answers_->pieces.empty();
    }
    // Pulls once and returns the answer: for pieces that are due at once.
    std::optional<Piece> PullNow() {
        Pull();
        return Next(0ms);
    }
    void Drop() { stream_ = nullptr; }

  private:
    struct Answers {
        std::mutex mutex;
        std::condition_variable arrived;
        std::deque<Piece> pieces;
    };
    net::AsyncBodyStream stream_;
    std::shared_ptr<Answers> answers_ = std::make_shared<Answers>();
};

// A subscriber past its first piece (the retry hint).
Puller Started(LiveHub& hub, TenantId tenant) {
    Puller puller(hub.Subscribe(tenant));
    auto retry = puller.PullNow();
    EXPECT_EQ(retry.value_or(Piece{}).data, "retry: 2000\n\n");
    return puller;
}

std::string Event(const std::string& data) {
    return "event: samples\ndata: " + data + "\n\n";
}

TEST(LiveHubTest, TheFirstPieceIsTheRetryHintAtOnce) {
    LiveHub hub;
    Puller puller(hub.Subscribe(kHome));
    auto piece = puller.PullNow();
    ASSERT_TRUE(piece);
    EXPECT_EQ(piece->data, "retry: 2000\n\n");
    EXPECT_TRUE(piece->more);
    EXPECT_EQ(hub.subscribers(), 1u);
}

TEST(LiveHubTest, PublishedBeforeThePullCoalescesToTheNewestPerSeries) {
    LiveHub hub;
    Puller puller = Started(hub, kHome);
    hub.Publish(kHome, std::vector<SeriesSample>{{kPower, kT0, 1.5}, {kEnergy, kT0, 10}, {kPower, kT0 + 1000, 2.5}});
    hub.Publish(kHome, std::vector<SeriesSample>{{kPower, kT0 + 2000, 3.5}});
    hub.Publish(kHome, std::vector<SeriesSample>{{kPower, kT0 - 5000, 99}});  // late: older than what is kept
    auto piece = puller.PullNow();
    ASSERT_TRUE(piece);
    EXPECT_EQ(piece->data, Event(R"([["101",1790000002000,3.5],["102",1790000000000,10]])"));
    EXPECT_TRUE(piece->more);
}

TEST(LiveHubTest, APullWithNothingNewWaitsForThePublish) {
    LiveHub hub;
    Puller puller = Started(hub, kHome);
    puller.Pull();
    EXPECT_FALSE(puller.Answered());
    std::thread writer([&] { hub.Publish(kHome, std::vector<SeriesSample>{{kPower, kT0, 42}}); });
    auto piece = puller.Next();
    writer.join();
    ASSERT_TRUE(piece);
    EXPECT_EQ(piece->data, Event(R"([["101",1790000000000,42]])"));
}

TEST(LiveHubTest, OtherTenantsSamplesNeverArrive) {
    LiveHub hub;
    Puller home = Started(hub, kHome);
    Puller other = Started(hub, kOther);
    home.Pull();
    hub.Publish(kOther, std::vector<SeriesSample>{{kForeign, kT0, 7}});
    auto theirs = other.PullNow();
    ASSERT_TRUE(theirs);
    EXPECT_EQ(theirs->data, Event(R"([["201",1790000000000,7]])"));
    EXPECT_FALSE(home.Answered());
    hub.Publish(kHome, std::vector<SeriesSample>{{kPower, kT0, 1}});
    auto mine = home.Next();
    ASSERT_TRUE(mine);
    EXPECT_EQ(mine->data, Event(R"([["101",1790000000000,1]])"));
}

TEST(LiveHubTest, AWaitingPullGetsAHeartbeat) {
    LiveHub hub;
    Puller puller = Started(hub, kHome);
    Puller busy = Started(hub, kOther);
    puller.Pull();
    hub.Heartbeat();
    auto piece = puller.Next();
    ASSERT_TRUE(piece);
    EXPECT_EQ(piece->data, ": keep-alive\n\n");
    EXPECT_TRUE(piece->more);
    EXPECT_FALSE(busy.Answered());  // it asked for nothing, so it gets nothing
    busy.Pull();
    EXPECT_FALSE(busy.Answered());  // and a pull after the heartbeat waits for the next
}

TEST(LiveHubTest, CloseEndsEveryStreamAndRefusesNewOnes) {
    LiveHub hub;
    Puller waiting = Started(hub, kHome);
    Puller busy = Started(hub, kOther);
    waiting.Pull();
    hub.Close();
    auto ended = waiting.Next();
    ASSERT_TRUE(ended);
    EXPECT_EQ(ended->data, "");
    EXPECT_FALSE(ended->more);
    auto later = busy.PullNow();  // the stream that was not waiting ends at its next pull
    ASSERT_TRUE(later);
    EXPECT_FALSE(later->more);
    EXPECT_EQ(hub.subscribers(), 0u);
    EXPECT_FALSE(hub.Subscribe(kHome));
    hub.Close();  // idempotent
}

TEST(LiveHubTest, SubscribersAreLimitedAndCountedDownWhenTheStreamDies) {
    LiveHubOptions options;
    options.max_subscribers = 2;
    LiveHub hub(options);
    Puller first = Started(hub, kHome);
    net::AsyncBodyStream second = hub.Subscribe(kHome);
    ASSERT_TRUE(second);
    EXPECT_FALSE(hub.Subscribe(kOther));
    EXPECT_EQ(hub.subscribers(), 2u);

    first.Pull();  // destroyed while its pull waits
    first.Drop();
    EXPECT_EQ(hub.subscribers(), 1u);
    second = nullptr;
    EXPECT_EQ(hub.subscribers(), 0u);
    EXPECT_TRUE(hub.Subscribe(kOther));
    hub.Publish(kHome, std::vector<SeriesSample>{{kPower, kT0, 1}});  // nobody left to tell
}

TEST(LiveHubTest, SeriesBeyondTheLimitWaitForTheNextPull) {
    LiveHubOptions options;
    options.max_series_per_subscriber = 1;
    LiveHub hub(options);
    Puller puller = Started(hub, kHome);
    hub.Publish(kHome, std::vector<SeriesSample>{{kPower, kT0, 1}, {kEnergy, kT0, 2}, {kPower, kT0 + 1, 3}});
    auto piece = puller.PullNow();
    ASSERT_TRUE(piece);
    EXPECT_EQ(piece->data, Event(R"([["101",1790000000001,3]])"));
}

TEST(LiveHubTest, ValuesInEventsRoundTrip) {
    LiveHub hub;
    Puller puller = Started(hub, kHome);
    const std::vector<double> values = {0.1,     1.0 / 3,  -2.5e-300, 123456789.123456789,
                                        5e-324,  1e21,     -0.0,      std::numeric_limits<double>::max(),
                                        4.35e-7, 230.0001, 1e-7,      std::numeric_limits<double>::min()};
    std::vector<SeriesSample> samples;
    for (std::size_t i = 0; i < values.size(); ++i) {
        samples.push_back(
            {SeriesId{static_cast<std::int64_t>(1000 + i)}, kT0 + static_cast<std::int64_t>(i), values[i]});
    }
    hub.Publish(kHome, samples);
    auto piece = puller.PullNow();
    ASSERT_TRUE(piece);
    const std::string prefix = "event: samples\ndata: [";
    ASSERT_EQ(piece->data.rfind(prefix, 0), 0u) << piece->data;
    const char* p = piece->data.c_str() + prefix.size();
    for (std::size_t i = 0; i < values.size(); ++i) {
        ASSERT_EQ(std::string_view(p, 2), "[\"") << p;
        char* end = nullptr;
        EXPECT_EQ(std::strtoll(p + 2, &end, 10), 1000 + static_cast<std::int64_t>(i));
        ASSERT_EQ(std::string_view(end, 2), "\",");
        ++end;
        EXPECT_EQ(std::strtoll(end + 1, &end, 10), kT0 + static_cast<std::int64_t>(i));
        ASSERT_EQ(*end, ',');
        const double value = std::strtod(end + 1, &end);
        EXPECT_EQ(value, values[i]) << i;
        EXPECT_EQ(std::signbit(value), std::signbit(values[i])) << i;
        ASSERT_EQ(*end, ']');
        p = end + 1;
        if (i + 1 < values.size()) {
            ASSERT_EQ(*p++, ',');
        }
    }
    EXPECT_STREQ(p, "]\n\n");
}

}  // namespace
}  // namespace mh::web
