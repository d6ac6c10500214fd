#include "net/mqtt_client.hpp"

#include <mosquitto.h>
#include <spdlog/spdlog.h>

namespace mh::net {
namespace {

void InitLibrary() {
    static const int once = [] {
        mosquitto_lib_init();
        return 0;
    }();
    (void)once;
}

}  // namespace

Result<std::unique_ptr<MqttClient>> MqttClient::Start(MqttOptions options, OnMessage on_message) {
    if (options.host.empty()) return MakeError(Errc::kInvalidArgument, "mqtt: no broker host");
    InitLibrary();
    std::unique_ptr<MqttClient> client(new MqttClient(std::move(options), std::move(on_message)));
    client->mosq_ = mosquitto_new(client->options_.client_id.c_str(), true, client.get());
    if (!client->mosq_) return MakeError(Errc::kInternal, "mqtt: cannot create a client");
    mosquitto_threaded_set(client->mosq_, true);  // Publish() comes from other threads
    mosquitto_int_option(client->mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    if (!client->options_.username.empty()) {
        mosquitto_username_pw_set(client->mosq_, client->options_.username.c_str(), client->options_.password.c_str());
    }
    mosquitto_connect_callback_set(client->mosq_, &MqttClient::HandleConnect);
    mosquitto_disconnect_callback_set(client->mosq_, &MqttClient::HandleDisconnect);
    mosquitto_message_callback_set(client->mosq_, &MqttClient::HandleMessage);
    client->thread_ = std::thread([c = client.get()] { c->Run(); });
    return client;
}

MqttClient::MqttClient(MqttOptions options, OnMessage on_message)
    : options_(std::move(options)), on_message_(std::move(on_message)), backoff_(options_.min_backoff) {}

MqttClient::~MqttClient() {
    Stop();
    if (mosq_) mosquitto_destroy(mosq_);
}

void MqttClient::Stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !thread_.joinable()) return;
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

Status MqttClient::Publish(std::string_view topic, std::string_view payload, bool retain) {
    const int rc = mosquitto_publish(mosq_, nullptr, std::string(topic).c_str(), static_cast<int>(payload.size()),
                                     payload.data(), 0, retain);
    if (rc != MOSQ_ERR_SUCCESS) {
        return MakeError(Errc::kUnavailable, "mqtt: publish to " + broker() + ": " + mosquitto_strerror(rc));
    }
    return Ok();
}

MqttStats MqttClient::stats() const {
    return {messages_.load(), connects_.load(), connected_.load()};
}

void MqttClient::WaitBackoff() {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, backoff_, [this] { return stopping_; });
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
}

void MqttClient::Run() {
    bool socket_open = false;
    bool reported = false;  // the broker being away is logged once per outage, not per attempt
    while (true) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) break;
        }
        if (!socket_open) {
            const int rc = mosquitto_connect(mosq_, options_.host.c_str(), options_.port,
                                             static_cast<int>(options_.keepalive.count()));
            if (rc != MOSQ_ERR_SUCCESS) {
                if (!reported) spdlog::warn("mqtt: cannot reach broker {}: {}; retrying", broker(), mosquitto_strerror(rc));
                reported = true;
                WaitBackoff();
                continue;
            }
            socket_open = true;
        }
        const int rc = mosquitto_loop(mosq_, 100, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            if (connected_.exchange(false) || !reported) {
                spdlog::warn("mqtt: lost broker {}: {}; reconnecting", broker(), mosquitto_strerror(rc));
            }
            reported = true;
            socket_open = false;
            WaitBackoff();
            continue;
        }
        if (connected_.load()) reported = false;
    }
    if (socket_open) {
        mosquitto_disconnect(mosq_);
        mosquitto_loop(mosq_, 100, 1);  // let the DISCONNECT go out
    }
    connected_ = false;
}

void MqttClient::HandleConnect(mosquitto* mosq, void* self_ptr, int rc) {
    auto* self = static_cast<MqttClient*>(self_ptr);
    if (rc != 0) {
        spdlog::warn("mqtt: broker {} refused the connection: {}", self->broker(), mosquitto_connack_string(rc));
        return;  // the broker closes the socket; the loop reconnects after the back-off
    }
    for (const auto& topic : self->options_.subscriptions) {
        if (const int s = mosquitto_subscribe(mosq, nullptr, topic.c_str(), 0); s != MOSQ_ERR_SUCCESS) {
            spdlog::error("mqtt: cannot subscribe to {}: {}", topic, mosquitto_strerror(s));
        }
    }
    {
        std::lock_guard lock(self->mutex_);
        self->backoff_ = self->options_.min_backoff;
    }
    self->connects_.fetch_add(1);
    self->connected_ = true;
    spdlog::info("mqtt: connected to {}", self->broker());
}

void MqttClient::HandleDisconnect(mosquitto*, void* self_ptr, int) {
    static_cast<MqttClient*>(self_ptr)->connected_ = false;
}

void MqttClient::HandleMessage(mosquitto*, void* self_ptr, const mosquitto_message* message) {
    auto* self = static_cast<MqttClient*>(self_ptr);
    if (message->payloadlen < 0 || static_cast<std::size_t>(message->payloadlen) > self->options_.max_payload) return;
    self->messages_.fetch_add(1, std::memory_order_relaxed);
    if (self->on_message_) {
        self->on_message_(message->topic,
                          std::string_view(static_cast<const char*>(message->payload),
                                           static_cast<std::size_t>(message->payloadlen)));
    }
}

}  // namespace mh::net
