#include "cli/opendtu_mqtt_service.hpp"

#include <iostream>

#include "api/metrics.hpp"

namespace mh::cli {

Result<std::unique_ptr<OpenDtuMqttService>> OpenDtuMqttService::Start(const Config& config, Runtime& runtime,
                                                                      api::Api& api) {
    if (config.mqtt.host.empty() || !config.opendtu.mqtt) return std::unique_ptr<OpenDtuMqttService>();
    std::unique_ptr<OpenDtuMqttService> service(new OpenDtuMqttService());
    net::MqttOptions o;
    o.host = config.mqtt.host;
    o.port = static_cast<std::uint16_t>(config.mqtt.port);
    o.client_id = config.mqtt.client_id;
    o.username = config.mqtt.username;
    o.password = config.mqtt.password;
    o.keepalive = std::chrono::seconds(config.mqtt.keepalive_s);
    o.max_backoff = std::chrono::seconds(config.mqtt.reconnect_max_s);
    const std::string broker = o.host + ":" + std::to_string(o.port);
    service->reader_ = std::make_unique<collect::OpenDtuMqtt>(api.opendtu(), *runtime.engine, runtime.clock,
                                                              config.opendtu.base_topic, broker);
    o.subscriptions = {service->reader_->TopicFilter()};
    auto* reader = service->reader_.get();
    MH_ASSIGN_OR_RETURN(service->client_,
                        net::MqttClient::Start(o, [reader](std::string_view topic, std::string_view payload) {
                            reader->OnMessage(topic, payload);
                        }));
    auto* client = service->client_.get();
    api.AddReadinessCheck("mqtt", [client]() -> Status {
        if (client->connected()) return Ok();
        return MakeError(Errc::kUnavailable, "not connected to MQTT broker " + client->broker());
    });
    api.AddMetricsSource([client, reader](std::string& out) {
        const auto m = client->stats();
        const auto r = reader->stats();
        using api::MetricType;
        api::AppendMetric(out, "meterhub_mqtt_connected", "1 while the MQTT broker is connected.", MetricType::kGauge,
                          m.connected ? 1 : 0);
        api::AppendMetric(out, "meterhub_mqtt_connects_total", "Successful connections to the MQTT broker.",
                          MetricType::kCounter, static_cast<std::int64_t>(m.connects));
        api::AppendMetric(out, "meterhub_opendtu_mqtt_messages_total", "OpenDTU MQTT messages received.",
                          MetricType::kCounter, static_cast<std::int64_t>(r.messages));
        api::AppendMetric(out, "meterhub_opendtu_mqtt_samples_total", "Samples stored from OpenDTU MQTT topics.",
                          MetricType::kCounter, static_cast<std::int64_t>(r.samples));
        api::AppendMetric(out, "meterhub_opendtu_mqtt_unclaimed_total", "Values of inverters no tenant registered.",
                          MetricType::kCounter, static_cast<std::int64_t>(r.unclaimed));
    });
    std::cout << "meterhub: reading OpenDTU topics " << reader->TopicFilter() << " from MQTT broker " << broker
              << std::endl;
    return service;
}

OpenDtuMqttService::~OpenDtuMqttService() {
    if (client_) client_->Stop();
}

}  // namespace mh::cli
