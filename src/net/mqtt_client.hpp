// MqttClient: one connection to an MQTT broker (libmosquitto, MQTT 3.1.1), kept up by its own network thread,
// carrying any number of subscriptions, each routed to its own handler by topic filter.
//
// Threads. The network thread alone touches libmosquitto: it connects (TLS and username/password when set),
// re-subscribes every filter after each connect, reads, writes, and after losing the broker retries with
// exponential back-off from `min_backoff` up to `max_backoff`. Subscribe(), Unsubscribe() and Publish() may be
// called from any thread, before or after the connection is up: they queue for the network thread and wake it.
// Handlers never run on the network thread: each message becomes one task posted to the injected Executor. The
// client counts tasks posted and not yet finished; beyond `max_pending` a message is dropped and counted, so a
// slow handler never blocks the network loop (nor grows memory). Handlers may call Publish() (request/reply).
//
// Delivery. Clean sessions: the broker keeps nothing for this client while it is away, so a message published
// while we are disconnected is not delivered to us later. QoS 1 subscriptions get each message at least once
// while connected (a redelivery after a reconnect can repeat one). A message is acknowledged to the broker when it
// arrives, before its handler runs: one dropped at a full queue is lost (see `dropped`).
// Publish() refuses at once with kUnavailable while disconnected, at any QoS: nothing is queued for a broker that
// is away. An accepted QoS 1 publish is kept (by libmosquitto) until the broker's PUBACK and re-sent after a
// reconnect, so it arrives at least once unless this process stops first; an accepted QoS 0 publish is sent once
// if the connection holds. At most `max_outgoing` publishes wait (queued or unacknowledged); beyond that Publish()
// refuses with kResourceExhausted.
//
// Identity. The broker allows one connection per client id: a second connection with the same id makes it drop
// the first, and two such clients reconnecting kick each other off in turns. Give every instance its own id.
// Shared subscriptions: with `share_group` set, a Subscribe(..., MqttShare::kGroup) is made as
// `$share/<group>/<filter>`, so the broker hands each message to one member of the group (Mosquitto 2:
// round-robin); routing still matches the inner filter. Without a group the subscription is this instance's.
//
// Lifetime. The executor must outlive the client and keep running (or destroy) posted tasks until Stop() returns:
// Stop() waits until every posted task has finished or been destroyed, so that no handler runs after it.
// Don't call Stop() from a handler.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/executor.hpp"
#include "core/result.hpp"
#include "net/mqtt_router.hpp"

struct mosquitto;
struct mosquitto_message;

namespace mh::net {

struct MqttTlsOptions {
    bool enabled = false;
    std::string ca_file;    // PEM file of the CA(s) that signed the broker's certificate; empty: the system's CAs
    std::string cert_file;  // with key_file: a client certificate (PEM), for brokers that require one
    std::string key_file;
};

struct MqttOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 1883;
    std::string client_id = "meterhub";  // unique per connection (see "Identity" above)
    std::string username;                // empty: no credentials
    std::string password;
    MqttTlsOptions tls;
    std::chrono::seconds keepalive{30};
    std::chrono::milliseconds min_backoff{500};
    std::chrono::milliseconds max_backoff{30'000};
    std::size_t max_payload = 64 * 1024;  // larger incoming messages are dropped (counted), larger publishes refused
    std::size_t max_pending = 1000;       // handler tasks posted and not finished; more messages are dropped
    std::size_t max_outgoing = 1000;      // publishes queued or awaiting PUBACK; more are refused
    std::string share_group;              // non-empty: MqttShare::kGroup subscriptions are $share/<group>/<filter>
};

struct MqttMessage {
    std::string topic;
    std::string payload;
    int qos = 0;
    bool retain = false;
};

struct MqttStats {
    std::uint64_t received = 0;          // PUBLISH packets that arrived
    std::uint64_t handled = 0;           // handler tasks that finished
    std::uint64_t dropped = 0;           // not handled: `max_pending` tasks were waiting
    std::uint64_t oversized = 0;         // not handled: payload above `max_payload`
    std::uint64_t unrouted = 0;          // not handled: no subscription's filter matched (e.g. just unsubscribed)
    std::uint64_t published = 0;         // Publish() calls accepted
    std::uint64_t publish_failed = 0;    // accepted, then lost: libmosquitto refused it, or QoS 0 and the link fell
    std::uint64_t connects = 0;          // successful CONNACKs; more than one means reconnects
    std::uint64_t connect_failures = 0;  // attempts that never got a successful CONNACK (unreachable, TLS, refused)
    std::size_t pending = 0;             // handler tasks waiting or running now
    std::size_t outgoing = 0;            // publishes queued or awaiting PUBACK now
    std::size_t subscriptions = 0;       // filters subscribed
    std::size_t subscribed = 0;          // of them, acknowledged by the broker (SUBACK) on this connection
    bool connected = false;
    std::string last_error;  // why the last attempt failed or the connection fell; empty: nothing failed yet
};

// Whether a subscription is this instance's own or split among the instances of `share_group`.
enum class MqttShare { kInstance, kGroup };

class MqttClient {
  public:
    using Handler = std::function<void(const MqttMessage&)>;

    // Starts the network thread; fails only on bad options or unreadable TLS files (the broker may be down: it
    // is retried). Handlers run on `executor` (see "Lifetime").
    static Result<std::unique_ptr<MqttClient>> Start(MqttOptions options, Executor& executor);
    ~MqttClient();
    MqttClient(const MqttClient&) = delete;
    MqttClient& operator=(const MqttClient&) = delete;

    // Routes messages matching `filter` to `handler` (on `executor`, or the client's when null), at `qos` 0 or
    // 1. Subscribing a filter again replaces its handler. kInvalidArgument for a bad filter or QoS; filters
    // starting "$share/" are refused (ask for MqttShare::kGroup instead). Overlapping filters each get the
    // message, and the broker may send one copy per overlapping subscription: keep a connection's filters apart.
    Status Subscribe(std::string filter, int qos, Handler handler, MqttShare share = MqttShare::kInstance,
                     Executor* executor = nullptr);
    // kNotFound when `filter` is not subscribed. Tasks already posted still run.
    Status Unsubscribe(const std::string& filter);

    // QoS 0 or 1 (see "Delivery"). kInvalidArgument for a bad topic, QoS or a payload above `max_payload`.
    Status Publish(std::string_view topic, std::string_view payload, int qos = 0, bool retain = false);

    bool connected() const { return connected_.load(); }
    MqttStats stats() const;
    std::string broker() const { return options_.host + ":" + std::to_string(options_.port); }
    const std::string& client_id() const { return options_.client_id; }
    // The network thread's id: handlers never run there (for tests and logs).
    std::thread::id network_thread_id() const { return network_thread_id_; }
    // Stops the network thread, disconnects, and waits for the handler tasks posted so far. Idempotent.
    void Stop();

  private:
    struct Route {
        std::string wire;  // what is sent in SUBSCRIBE: the filter, or $share/<group>/<filter>
        int qos = 0;
        std::shared_ptr<const Handler> handler;
        Executor* executor = nullptr;
        bool sent = false;   // SUBSCRIBE sent on the current connection
        bool acked = false;  // ... and its SUBACK granted it
        int mid = 0;
    };
    struct Outgoing {
        std::string topic;
        std::string payload;
        int qos = 0;
        bool retain = false;
    };
    struct Delivery;

    MqttClient(MqttOptions options, Executor& executor);
    Status Configure();
    // Network thread (mqtt_client_loop.cpp).
    void Run();
    bool Stopping();
    void WaitBackoff();
    void ConnectionLost();
    void SendQueued();
    void Wake();
    static void HandleConnect(mosquitto* mosq, void* self, int rc);
    static void HandleDisconnect(mosquitto* mosq, void* self, int rc);
    static void HandlePublish(mosquitto* mosq, void* self, int mid);
    static void HandleSubscribe(mosquitto* mosq, void* self, int mid, int count, const int* granted);
    static void HandleMessage(mosquitto* mosq, void* self, const mosquitto_message* message);
    static void HandleLog(mosquitto* mosq, void* self, int level, const char* text);
    void Dispatch(const mosquitto_message& message);
    void TaskDone();
    void SetLastError(std::string error);

    const MqttOptions options_;
    Executor& executor_;
    mosquitto* mosq_ = nullptr;
    int wake_fd_ = -1;  // eventfd: other threads wake the network thread's poll()
    std::atomic<bool> wake_pending_{false};
    std::atomic<bool> connected_{false};
    std::thread thread_;
    std::thread::id network_thread_id_;

    // Network thread only.
    std::unordered_set<int> unacked_;  // mids of QoS 1 publishes awaiting PUBACK
    bool connack_ok_ = false;          // this socket got a successful CONNACK
    bool refused_ = false;             // ... or a refusal, described in attempt_error_
    std::string attempt_error_;        // a CONNACK refusal or libmosquitto's last error line, for this attempt

    mutable std::mutex routes_mutex_;
    MqttRouter<Route> routes_;
    std::vector<std::string> unsubscribe_;  // wire filters to UNSUBSCRIBE on the current connection
    bool routes_dirty_ = true;              // some route has not been sent on this connection

    mutable std::mutex out_mutex_;
    std::deque<Outgoing> outbox_;
    std::atomic<std::size_t> in_flight_{0};  // handed to libmosquitto, not yet sent (QoS 0) or acknowledged

    std::atomic<std::size_t> pending_{0};
    std::mutex pending_mutex_;
    std::condition_variable pending_cv_;

    std::atomic<std::uint64_t> received_{0}, handled_{0}, dropped_{0}, oversized_{0}, unrouted_{0}, published_{0},
        publish_failed_{0}, connects_{0}, connect_failures_{0};

    mutable std::mutex state_mutex_;
    std::condition_variable state_cv_;
    bool stopping_ = false;
    std::chrono::milliseconds backoff_;
    std::string last_error_;
};

}  // namespace mh::net
