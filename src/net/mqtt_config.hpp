// MqttConfig: the [mqtt] section, serve's one broker connection (cli maps it onto net::MqttOptions). A plain value;
// see core/config_section.hpp for how a section is described and loaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/config_section.hpp"
#include "core/result.hpp"

namespace mh::net {

struct MqttConfig {
    static constexpr std::string_view kSection = "mqtt";

    std::string host;  // the broker; empty: meterhub uses no MQTT
    std::int64_t port = 1883;
    std::string client_id;  // empty: "meterhub-<instance id>"; two connections with one id kick each other off
    std::string username;   // empty: connect without credentials
    std::string password;
    std::int64_t keepalive_s = 30;
    std::int64_t reconnect_max_s = 30;  // back-off between reconnect attempts doubles up to this
    bool tls = false;                   // TLS to the broker (usually port 8883)
    std::string ca_file;                // PEM CA file that signed the broker's certificate; empty: /etc/ssl/certs
    std::string cert_file;              // client certificate and its key (PEM), for brokers that require one
    std::string key_file;
    std::string share_group;          // non-empty: instances split topics through $share/<group>/...
    std::int64_t max_pending = 1000;  // messages waiting for their handler; more are dropped (counted)

    void Describe(config::Section& section);
    Status Validate() const;
};

}  // namespace mh::net
