// MqttClient's public side: start-up and options, Subscribe/Publish from any thread, and the hand-off of
// messages to handlers on the executor. The network thread is in mqtt_client_loop.cpp.
#include "net/mqtt_client.hpp"

#include <mosquitto.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace mh::net {
namespace {

void InitLibrary() {
    static const int once = [] {
        mosquitto_lib_init();
        return 0;
    }();
    (void)once;
}

constexpr const char* kSystemCaPath = "/etc/ssl/certs";

}  // namespace

// One message for one route's handler. Whether the task runs or the executor destroys it unrun, destroying it
// ends the task's count in `pending_`, so Stop() never waits for a task that will not come.
struct MqttClient::Delivery {
    MqttClient* client;
    std::shared_ptr<const MqttMessage> message;
    std::shared_ptr<const Handler> handler;
    ~Delivery() { client->TaskDone(); }
};

Result<std::unique_ptr<MqttClient>> MqttClient::Start(MqttOptions options, Executor& executor) {
    if (options.host.empty()) return MakeError(Errc::kInvalidArgument, "mqtt: no broker host");
    if (options.client_id.empty()) return MakeError(Errc::kInvalidArgument, "mqtt: no client id");
    if (options.share_group.find_first_of("/+#") != std::string::npos) {
        return MakeError(Errc::kInvalidArgument, "mqtt: share group '" + options.share_group + "' has / + or #");
    }
    if (options.tls.cert_file.empty() != options.tls.key_file.empty()) {
        return MakeError(Errc::kInvalidArgument, "mqtt: a client certificate needs both cert_file and key_file");
    }
    if (options.max_pending == 0 || options.max_outgoing == 0) {
        return MakeError(Errc::kInvalidArgument, "mqtt: max_pending and max_outgoing must be at least 1");
    }
    InitLibrary();
    std::unique_ptr<MqttClient> client(new MqttClient(std::move(options), executor));
    MH_RETURN_IF_ERROR(client->Configure());
    client->thread_ = std::thread([c = client.get()] { c->Run(); });
    client->network_thread_id_ = client->thread_.get_id();
    return client;
}

MqttClient::MqttClient(MqttOptions options, Executor& executor)
    : options_(std::move(options)), executor_(executor), backoff_(options_.min_backoff) {}

Status MqttClient::Configure() {
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) return MakeError(Errc::kInternal, "mqtt: cannot create an eventfd");
    mosq_ = mosquitto_new(options_.client_id.c_str(), /*clean_session=*/true, this);
    if (!mosq_) return MakeError(Errc::kInternal, "mqtt: cannot create a client");
    // Only the network thread calls libmosquitto after this, so it runs unthreaded: writes go out at once.
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    // Small packets (a reply, a PUBACK) go out at once instead of waiting for Nagle's algorithm, which with the
    // peer's delayed ACKs adds tens of milliseconds to every request/reply round trip.
    mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
    if (!options_.username.empty()) {
        mosquitto_username_pw_set(mosq_, options_.username.c_str(), options_.password.c_str());
    }
    mosquitto_log_callback_set(mosq_, &MqttClient::HandleLog);
    if (options_.tls.enabled) {
        const auto& t = options_.tls;
        auto or_null = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
        const int rc = mosquitto_tls_set(mosq_, or_null(t.ca_file), t.ca_file.empty() ? kSystemCaPath : nullptr,
                                         or_null(t.cert_file), or_null(t.key_file), nullptr);
        if (rc != MOSQ_ERR_SUCCESS) {
            std::string detail = attempt_error_.empty() ? "" : " (" + attempt_error_ + ")";
            return MakeError(Errc::kInvalidArgument, "mqtt: TLS files (ca_file '" + t.ca_file + "', cert_file '" +
                                                         t.cert_file + "', key_file '" + t.key_file +
                                                         "'): " + mosquitto_strerror(rc) + detail);
        }
        attempt_error_.clear();
    }
    mosquitto_connect_callback_set(mosq_, &MqttClient::HandleConnect);
    mosquitto_disconnect_callback_set(mosq_, &MqttClient::HandleDisconnect);
    mosquitto_publish_callback_set(mosq_, &MqttClient::HandlePublish);
    mosquitto_subscribe_callback_set(mosq_, &MqttClient::HandleSubscribe);
    mosquitto_message_callback_set(mosq_, &MqttClient::HandleMessage);
    return Ok();
}

MqttClient::~MqttClient() {
    Stop();
    if (mosq_) mosquitto_destroy(mosq_);
    if (wake_fd_ >= 0) close(wake_fd_);
}

void MqttClient::Stop() {
    {
        std::lock_guard lock(state_mutex_);
        stopping_ = true;
    }
    state_cv_.notify_all();
    Wake();
    if (thread_.joinable()) thread_.join();
    std::unique_lock lock(pending_mutex_);
    while (!pending_cv_.wait_for(lock, std::chrono::seconds(5), [this] { return pending_.load() == 0; })) {
        spdlog::warn("mqtt: stopping: still waiting for {} handler task(s)", pending_.load());
    }
}

void MqttClient::Wake() {
    if (wake_fd_ < 0 || wake_pending_.exchange(true)) return;  // one wake-up covers everything queued before it
    const std::uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
}

Status MqttClient::Subscribe(std::string filter, int qos, Handler handler, MqttShare share, Executor* executor) {
    if (qos != 0 && qos != 1) return MakeError(Errc::kInvalidArgument, "mqtt: QoS must be 0 or 1");
    if (!handler) return MakeError(Errc::kInvalidArgument, "mqtt: subscription to " + filter + " without a handler");
    if (filter.starts_with("$share/")) {
        return MakeError(Errc::kInvalidArgument,
                         "mqtt: subscribe to the inner filter with MqttShare::kGroup, not " + filter);
    }
    if (mosquitto_sub_topic_check(filter.c_str()) != MOSQ_ERR_SUCCESS) {
        return MakeError(Errc::kInvalidArgument, "mqtt: '" + filter + "' is not a topic filter");
    }
    Route route;
    route.wire = share == MqttShare::kGroup && !options_.share_group.empty()
                     ? "$share/" + options_.share_group + "/" + filter
                     : filter;
    route.qos = qos;
    route.handler = std::make_shared<const Handler>(std::move(handler));
    route.executor = executor != nullptr ? executor : &executor_;
    {
        std::lock_guard lock(routes_mutex_);
        const std::string wire = route.wire;
        auto old = routes_.Set(filter, std::move(route));
        if (old && old->sent && old->wire != wire) unsubscribe_.push_back(old->wire);
        routes_dirty_ = true;
    }
    Wake();
    return Ok();
}

Status MqttClient::Unsubscribe(const std::string& filter) {
    {
        std::lock_guard lock(routes_mutex_);
        auto old = routes_.Remove(filter);
        if (!old) return MakeError(Errc::kNotFound, "mqtt: " + filter + " is not subscribed");
        if (old->sent) unsubscribe_.push_back(old->wire);
    }
    Wake();
    return Ok();
}

Status MqttClient::Publish(std::string_view topic, std::string_view payload, int qos, bool retain) {
    if (qos != 0 && qos != 1) return MakeError(Errc::kInvalidArgument, "mqtt: QoS must be 0 or 1");
    if (payload.size() > options_.max_payload) {
        return MakeError(Errc::kInvalidArgument, "mqtt: a payload of " + std::to_string(payload.size()) +
                                                     " bytes is above the limit of " +
                                                     std::to_string(options_.max_payload));
    }
    Outgoing out{std::string(topic), std::string(payload), qos, retain};
    if (mosquitto_pub_topic_check(out.topic.c_str()) != MOSQ_ERR_SUCCESS) {
        return MakeError(Errc::kInvalidArgument, "mqtt: '" + out.topic + "' is not a topic to publish to");
    }
    if (!connected_.load()) return MakeError(Errc::kUnavailable, "mqtt: not connected to broker " + broker());
    {
        std::lock_guard lock(out_mutex_);
        if (outbox_.size() + in_flight_.load() >= options_.max_outgoing) {
            return MakeError(Errc::kResourceExhausted, "mqtt: " + std::to_string(options_.max_outgoing) +
                                                           " publishes to " + broker() + " are waiting already");
        }
        outbox_.push_back(std::move(out));
    }
    published_.fetch_add(1, std::memory_order_relaxed);
    Wake();
    return Ok();
}

MqttStats MqttClient::stats() const {
    MqttStats s;
    s.received = received_.load();
    s.handled = handled_.load();
    s.dropped = dropped_.load();
    s.oversized = oversized_.load();
    s.unrouted = unrouted_.load();
    s.published = published_.load();
    s.publish_failed = publish_failed_.load();
    s.connects = connects_.load();
    s.connect_failures = connect_failures_.load();
    s.pending = pending_.load();
    {
        std::lock_guard lock(out_mutex_);
        s.outgoing = outbox_.size() + in_flight_.load();
    }
    {
        std::lock_guard lock(routes_mutex_);
        s.subscriptions = routes_.size();
        routes_.ForEach([&](const std::string&, const Route& r) {
            if (r.acked) ++s.subscribed;
        });
    }
    s.connected = connected_.load();
    {
        std::lock_guard lock(state_mutex_);
        s.last_error = last_error_;
    }
    return s;
}

void MqttClient::SetLastError(std::string error) {
    std::lock_guard lock(state_mutex_);
    last_error_ = std::move(error);
}

// On the network thread, inside mosquitto_loop_read: never blocks, never runs a handler.
void MqttClient::Dispatch(const mosquitto_message& m) {
    received_.fetch_add(1, std::memory_order_relaxed);
    if (m.payloadlen < 0 || static_cast<std::size_t>(m.payloadlen) > options_.max_payload) {
        if (oversized_.fetch_add(1) == 0) {
            spdlog::warn("mqtt: dropped a message of {} bytes on {} (limit {}); further ones are only counted",
                         m.payloadlen, m.topic, options_.max_payload);
        }
        return;
    }
    std::vector<std::pair<std::shared_ptr<const Handler>, Executor*>> targets;
    const std::string topic(m.topic);
    {
        std::lock_guard lock(routes_mutex_);
        routes_.ForEachMatch(topic,
                             [&](const std::string&, const Route& r) { targets.emplace_back(r.handler, r.executor); });
    }
    if (targets.empty()) {
        unrouted_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    auto message = std::make_shared<const MqttMessage>(
        MqttMessage{topic, std::string(static_cast<const char*>(m.payload), static_cast<std::size_t>(m.payloadlen)),
                    m.qos, m.retain});
    for (auto& [handler, executor] : targets) {
        // Only this thread adds to pending_, so the check cannot be overtaken.
        if (pending_.load() >= options_.max_pending) {
            if (dropped_.fetch_add(1) % 1000 == 0) {
                spdlog::warn("mqtt: {} handler tasks waiting; dropped a message on {} ({} dropped so far)",
                             options_.max_pending, topic, dropped_.load());
            }
            continue;
        }
        pending_.fetch_add(1);
        // Built in place: a temporary Delivery would end a count on its destruction.
        std::shared_ptr<Delivery> delivery(new Delivery{this, message, std::move(handler)});
        executor->Post([delivery] {
            try {
                (*delivery->handler)(*delivery->message);
            } catch (const std::exception& e) {
                spdlog::error("mqtt: the handler of {} threw: {}", delivery->message->topic, e.what());
            }
            delivery->client->handled_.fetch_add(1, std::memory_order_relaxed);
        });
    }
}

void MqttClient::TaskDone() {
    if (pending_.fetch_sub(1) == 1) {
        std::lock_guard lock(pending_mutex_);  // Stop() checks under this lock: the notify cannot slip between
        pending_cv_.notify_all();
    }
}

}  // namespace mh::net
