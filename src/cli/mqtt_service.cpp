#include "cli/mqtt_service.hpp"

#include "api/metrics.hpp"

namespace mh::cli {

std::string MqttClientId(const net::MqttConfig& config, std::uint32_t instance) {
    return config.client_id.empty() ? "meterhub-" + std::to_string(instance) : config.client_id;
}

net::MqttOptions MqttOptionsFrom(const net::MqttConfig& config, std::uint32_t instance) {
    net::MqttOptions o;
    o.host = config.host;
    o.port = static_cast<std::uint16_t>(config.port);
    o.client_id = MqttClientId(config, instance);
    o.username = config.username;
    o.password = config.password;
    o.tls = {config.tls, config.ca_file, config.cert_file, config.key_file};
    o.keepalive = std::chrono::seconds(config.keepalive_s);
    o.max_backoff = std::chrono::seconds(config.reconnect_max_s);
    o.share_group = config.share_group;
    o.max_pending = static_cast<std::size_t>(config.max_pending);
    return o;
}

bool MqttService::Wanted(const Config& config) {
    return !config.mqtt.host.empty() && config.opendtu.mqtt;
}

Result<std::unique_ptr<MqttService>> MqttService::Start(const Config& config, std::uint32_t instance, api::Api& api) {
    std::unique_ptr<MqttService> service(new MqttService());
    MH_ASSIGN_OR_RETURN(service->client_,
                        net::MqttClient::Start(MqttOptionsFrom(config.mqtt, instance), service->workers_));
    auto* client = service->client_.get();
    api.AddReadinessCheck("mqtt", [client]() -> Status {
        if (client->connected()) return Ok();
        const auto why = client->stats().last_error;
        return MakeError(Errc::kUnavailable,
                         "not connected to MQTT broker " + client->broker() + (why.empty() ? "" : ": " + why));
    });
    api.AddMetricsSource([client](std::string& out) {
        const auto m = client->stats();
        using api::MetricType;
        auto counter = [&](const char* name, const char* help, std::uint64_t value) {
            api::AppendMetric(out, name, help, MetricType::kCounter, static_cast<std::int64_t>(value));
        };
        api::AppendMetric(out, "meterhub_mqtt_connected", "1 while the MQTT broker is connected.", MetricType::kGauge,
                          m.connected ? 1 : 0);
        counter("meterhub_mqtt_connects_total", "Successful connections to the MQTT broker.", m.connects);
        counter("meterhub_mqtt_received_total", "MQTT messages received.", m.received);
        counter("meterhub_mqtt_dropped_total", "MQTT messages dropped because max_pending wait for handlers.",
                m.dropped);
        counter("meterhub_mqtt_oversized_total", "MQTT messages dropped for a payload above the limit.", m.oversized);
        counter("meterhub_mqtt_published_total", "MQTT messages published.", m.published);
    });
    return service;
}

MqttService::~MqttService() {
    Stop();
}

void MqttService::Stop() {
    if (client_) client_->Stop();
}

}  // namespace mh::cli
