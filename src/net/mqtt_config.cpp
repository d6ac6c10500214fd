#include "net/mqtt_config.hpp"

namespace mh::net {

void MqttConfig::Describe(config::Section& section) {
    section.Key("host", host, "the MQTT broker; empty: meterhub uses no MQTT")
        .Key("port", port, "the broker's port")
        .Key("client_id", client_id, "unique per instance; empty: \"meterhub-<instance id>\"")
        .Key("username", username, "the broker login; empty: none")
        .Key("password", password, "its password")
        .Key("keepalive_s", keepalive_s, "MQTT keep-alive (s)")
        .Key("reconnect_max_s", reconnect_max_s, "reconnect back-off doubles up to this (s)")
        .Key("tls", tls, "TLS to the broker (usually port 8883)")
        .Key("ca_file", ca_file, "PEM file of the CA that signed the broker's certificate; empty: the system's CAs")
        .Key("cert_file", cert_file, "client certificate (PEM), for brokers that require one")
        .Key("key_file", key_file, "its key (PEM)")
        .Key("share_group", share_group, "instances with one group split messages ($share/<group>/...); empty: none")
        .Key("max_pending", max_pending,
             "messages waiting for their handler; beyond this they are dropped and counted");
}

Status MqttConfig::Validate() const {
    if (port < 1 || port > 65535) return config::Invalid("mqtt.port must be 1..65535");
    if (client_id.size() > 64) return config::Invalid("mqtt.client_id must be at most 64 characters (empty: derived)");
    if (keepalive_s < 5 || keepalive_s > 65535) return config::Invalid("mqtt.keepalive_s must be 5..65535");
    if (reconnect_max_s < 1) return config::Invalid("mqtt.reconnect_max_s must be at least 1");
    if (cert_file.empty() != key_file.empty()) {
        return config::Invalid("mqtt.cert_file and mqtt.key_file go together (a client certificate and its key)");
    }
    if (share_group.find_first_of("/+#") != std::string::npos) {
        return config::Invalid("mqtt.share_group must not contain /, + or #");
    }
    if (max_pending < 1 || max_pending > 1'000'000) return config::Invalid("mqtt.max_pending must be 1..1000000");
    return Ok();
}

}  // namespace mh::net
