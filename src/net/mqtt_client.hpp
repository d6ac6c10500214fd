// MqttClient: one connection to an MQTT broker (libmosquitto), kept up by its own thread.
//
// The thread connects, re-subscribes after every connect, delivers messages to `on_message` (on that thread:
// keep it short or hand the work on), and after losing the broker retries with exponential back-off from
// `min_backoff` up to `max_backoff`. Publish() may be called from any thread; QoS 0, so nothing is queued
// while the broker is away.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.hpp"

struct mosquitto;
struct mosquitto_message;

namespace mh::net {

struct MqttOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 1883;
    std::string client_id = "meterhub";
    std::string username;  // empty: no credentials
    std::string password;
    std::chrono::seconds keepalive{30};
    std::chrono::milliseconds min_backoff{500};
    std::chrono::milliseconds max_backoff{30'000};
    std::vector<std::string> subscriptions;  // topic filters, e.g. "solar/#"
    std::size_t max_payload = 64 * 1024;     // larger messages are dropped
};

struct MqttStats {
    std::uint64_t messages = 0;
    std::uint64_t connects = 0;  // successful CONNACKs; more than one means reconnects
    bool connected = false;
};

class MqttClient {
  public:
    using OnMessage = std::function<void(std::string_view topic, std::string_view payload)>;

    // Starts the connection thread; fails only on bad options (the broker may be down: it is retried).
    static Result<std::unique_ptr<MqttClient>> Start(MqttOptions options, OnMessage on_message);
    ~MqttClient();
    MqttClient(const MqttClient&) = delete;
    MqttClient& operator=(const MqttClient&) = delete;

    Status Publish(std::string_view topic, std::string_view payload, bool retain = false);
    bool connected() const { return connected_.load(); }
    MqttStats stats() const;
    std::string broker() const { return options_.host + ":" + std::to_string(options_.port); }
    // Stops the thread and disconnects. Idempotent.
    void Stop();

  private:
    MqttClient(MqttOptions options, OnMessage on_message);
    void Run();
    void WaitBackoff();
    static void HandleConnect(mosquitto* mosq, void* self, int rc);
    static void HandleDisconnect(mosquitto* mosq, void* self, int rc);
    static void HandleMessage(mosquitto* mosq, void* self, const mosquitto_message* message);

    const MqttOptions options_;
    OnMessage on_message_;
    mosquitto* mosq_ = nullptr;
    std::atomic<bool> connected_{false};
    std::atomic<std::uint64_t> messages_{0};
    std::atomic<std::uint64_t> connects_{0};
    std::chrono::milliseconds backoff_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace mh::net
