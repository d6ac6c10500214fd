// MqttClient's network thread: the only thread that calls libmosquitto once the client is started. It polls the
// broker socket and an eventfd (other threads' wake-ups) itself, instead of mosquitto_loop(), whose select()
// refuses sockets numbered 1024 and above, which a busy server's MQTT reconnect can be given.
#include <mosquitto.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "net/mqtt_client.hpp"

namespace mh::net {
namespace {

constexpr int kPollMs = 1000;  // keep-alive pings are checked this often at the least

}  // namespace

bool MqttClient::Stopping() {
    std::lock_guard lock(state_mutex_);
    return stopping_;
}

void MqttClient::WaitBackoff() {
    std::unique_lock lock(state_mutex_);
    state_cv_.wait_for(lock, backoff_, [this] { return stopping_; });
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
}

void MqttClient::Run() {
    bool socket_open = false;
    bool reported = false;  // the broker being away is logged once per outage, not per attempt
    auto why = [this](int rc, int err) {
        std::string text = rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(err)) : mosquitto_strerror(rc);
        if (refused_) return attempt_error_;
        if (!attempt_error_.empty()) text += " (" + attempt_error_ + ")";
        return text;
    };
    while (!Stopping()) {
        if (!socket_open) {
            connack_ok_ = false;
            refused_ = false;
            attempt_error_.clear();
            const int rc = mosquitto_connect(mosq_, options_.host.c_str(), options_.port,
                                             static_cast<int>(options_.keepalive.count()));
            const int err = errno;
            if (rc != MOSQ_ERR_SUCCESS) {
                const std::string reason = why(rc, err);
                connect_failures_.fetch_add(1);
                SetLastError(reason);
                if (!reported) spdlog::warn("mqtt: cannot reach broker {}: {}; retrying", broker(), reason);
                reported = true;
                WaitBackoff();
                continue;
            }
            socket_open = true;
        }
        SendQueued();
        int rc = MOSQ_ERR_SUCCESS;
        int err = 0;
        const int fd = mosquitto_socket(mosq_);
        if (fd < 0) {
            rc = MOSQ_ERR_NO_CONN;  // closed inside libmosquitto (keep-alive timeout, a refused CONNACK)
        } else {
            pollfd fds[2] = {{fd, static_cast<short>(POLLIN | (mosquitto_want_write(mosq_) ? POLLOUT : 0)), 0},
                             {wake_fd_, POLLIN, 0}};
            if (poll(fds, 2, kPollMs) < 0 && errno != EINTR) spdlog::error("mqtt: poll: {}", std::strerror(errno));
            if (fds[1].revents & POLLIN) {
                std::uint64_t count = 0;
                (void)!read(wake_fd_, &count, sizeof count);
                wake_pending_.store(false);  // before SendQueued takes the queues: a later Wake() writes again
            }
            if (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) rc = mosquitto_loop_read(mosq_, 1);
            err = errno;
            if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(mosq_) >= 0 && mosquitto_want_write(mosq_)) {
                rc = mosquitto_loop_write(mosq_, 1);
                err = errno;
            }
            if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop_misc(mosq_);
            if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(mosq_) < 0) rc = MOSQ_ERR_NO_CONN;
        }
        if (rc == MOSQ_ERR_SUCCESS) {
            if (connected_.load()) reported = false;
            continue;
        }
        const std::string reason = why(rc, err);
        if (!connack_ok_) connect_failures_.fetch_add(1);
        if (connected_.exchange(false) || !reported) {
            spdlog::warn("mqtt: lost broker {}: {}; reconnecting", broker(), reason);
        }
        reported = true;
        SetLastError(reason);
        ConnectionLost();
        socket_open = false;
        WaitBackoff();
    }
    if (socket_open && mosquitto_socket(mosq_) >= 0) {
        SendQueued();  // what handlers published up to the end
        mosquitto_disconnect(mosq_);
        for (int i = 0; i < 10 && mosquitto_socket(mosq_) >= 0 && mosquitto_want_write(mosq_); ++i) {
            pollfd out{mosquitto_socket(mosq_), POLLOUT, 0};
            poll(&out, 1, 100);
            if (mosquitto_loop_write(mosq_, 1) != MOSQ_ERR_SUCCESS) break;
        }
    }
    connected_ = false;
}

// The broker is gone: a new connection starts a new (clean) session.
void MqttClient::ConnectionLost() {
    {
        std::lock_guard lock(routes_mutex_);
        routes_.ForEach([](const std::string&, Route& r) { r.sent = r.acked = false; });
        unsubscribe_.clear();
        routes_dirty_ = true;
    }
    // QoS 0 publishes still queued go nowhere; QoS 1 ones wait for the next connection (libmosquitto re-sends
    // the unacknowledged ones it holds itself).
    std::lock_guard lock(out_mutex_);
    const auto before = outbox_.size();
    std::erase_if(outbox_, [](const Outgoing& o) { return o.qos == 0; });
    publish_failed_.fetch_add(before - outbox_.size());
}

void MqttClient::SendQueued() {
    if (!connected_.load()) return;  // subscriptions and publishes go after a successful CONNACK
    {
        std::lock_guard lock(routes_mutex_);
        for (const auto& wire : unsubscribe_) mosquitto_unsubscribe(mosq_, nullptr, wire.c_str());
        unsubscribe_.clear();
        if (routes_dirty_) {
            routes_dirty_ = false;
            routes_.ForEach([this](const std::string&, Route& r) {
                if (r.sent) return;
                const int rc = mosquitto_subscribe(mosq_, &r.mid, r.wire.c_str(), r.qos);
                if (rc != MOSQ_ERR_SUCCESS) {
                    spdlog::error("mqtt: cannot subscribe to {}: {}", r.wire, mosquitto_strerror(rc));
                    routes_dirty_ = true;  // tried again on the next turn
                    return;
                }
                r.sent = true;
            });
        }
    }
    std::deque<Outgoing> batch;
    {
        std::lock_guard lock(out_mutex_);
        batch.swap(outbox_);
        in_flight_.fetch_add(batch.size());  // still counted against max_outgoing while it is handed over
    }
    for (const auto& o : batch) {
        int mid = 0;
        const int rc = mosquitto_publish(mosq_, &mid, o.topic.c_str(), static_cast<int>(o.payload.size()),
                                         o.payload.data(), o.qos, o.retain);
        if (rc == MOSQ_ERR_SUCCESS && o.qos == 1) {
            unacked_.insert(mid);  // its PUBACK is read later on this thread, never inside mosquitto_publish
            continue;
        }
        in_flight_.fetch_sub(1);
        if (rc != MOSQ_ERR_SUCCESS && publish_failed_.fetch_add(1) % 1000 == 0) {
            spdlog::warn("mqtt: publish to {} failed: {}", o.topic, mosquitto_strerror(rc));
        }
    }
}

void MqttClient::HandleConnect(mosquitto*, void* self_ptr, int rc) {
    auto* self = static_cast<MqttClient*>(self_ptr);
    if (rc != 0) {
        // The broker closes the socket; the loop reconnects after the back-off.
        self->refused_ = true;
        self->attempt_error_ = std::string("the broker refused the connection: ") + mosquitto_connack_string(rc);
        return;
    }
    self->connack_ok_ = true;
    {
        std::lock_guard lock(self->state_mutex_);
        self->backoff_ = self->options_.min_backoff;
    }
    {
        std::lock_guard lock(self->routes_mutex_);
        self->routes_dirty_ = true;
    }
    self->connects_.fetch_add(1);
    self->connected_ = true;
    spdlog::info("mqtt: connected to {} as {}", self->broker(), self->options_.client_id);
}

void MqttClient::HandleDisconnect(mosquitto*, void* self_ptr, int) {
    static_cast<MqttClient*>(self_ptr)->connected_ = false;
}

void MqttClient::HandlePublish(mosquitto*, void* self_ptr, int mid) {
    auto* self = static_cast<MqttClient*>(self_ptr);
    if (self->unacked_.erase(mid) > 0) self->in_flight_.fetch_sub(1);
}

void MqttClient::HandleSubscribe(mosquitto*, void* self_ptr, int mid, int count, const int* granted) {
    auto* self = static_cast<MqttClient*>(self_ptr);
    std::lock_guard lock(self->routes_mutex_);
    self->routes_.ForEach([&](const std::string&, Route& r) {
        if (!r.sent || r.mid != mid) return;
        r.acked = count > 0 && granted[0] != 0x80;  // 0x80: the broker refused this filter (e.g. its ACL)
        if (!r.acked) spdlog::error("mqtt: broker {} refused the subscription to {}", self->broker(), r.wire);
    });
}

void MqttClient::HandleMessage(mosquitto*, void* self_ptr, const mosquitto_message* message) {
    static_cast<MqttClient*>(self_ptr)->Dispatch(*message);
}

void MqttClient::HandleLog(mosquitto*, void* self_ptr, int level, const char* text) {
    auto* self = static_cast<MqttClient*>(self_ptr);
    if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)) {
        // Why a TLS handshake failed, say; kept for the error of this attempt.
        if (!self->refused_) self->attempt_error_ = text;
        spdlog::debug("mqtt: libmosquitto: {}", text);
    }
}

}  // namespace mh::net
