#include "cli/opendtu_mqtt_service.hpp"

#include <iostream>

#include "api/metrics.hpp"

namespace mh::cli {

Result<std::unique_ptr<OpenDtuMqttService>> OpenDtuMqttService::Start(const Config& config, Runtime& runtime,
                                                                      api::Api& api, MqttService* mqtt) {
    if (mqtt == nullptr || !config.opendtu.mqtt) return std::unique_ptr<OpenDtuMqttService>();
    std::unique_ptr<OpenDtuMqttService> service(new OpenDtuMqttService());
    auto& client = mqtt->client();
    const std::string broker = client.broker();
    service->reader_ = std::make_unique<collect::OpenDtuMqtt>(api.opendtu(), *runtime.engine, runtime.clock,
                                                              config.opendtu.base_topic, broker);
    auto* reader = service->reader_.get();
    // QoS 0, as OpenDTU publishes: a value is superseded within seconds, and a redelivered one would be stored
    // again at its (later) arrival time.
    MH_RETURN_IF_ERROR(client.Subscribe(
        reader->TopicFilter(), 0, [reader](const net::MqttMessage& m) { reader->OnMessage(m.topic, m.payload); },
        net::MqttShare::kGroup));
    api.AddMetricsSource([reader](std::string& out) {
        const auto r = reader->stats();
        using api::MetricType;
        api::AppendMetric(out, "meterhub_opendtu_mqtt_messages_total", "OpenDTU MQTT messages received.",
                          MetricType::kCounter, static_cast<std::int64_t>(r.messages));
        api::AppendMetric(out, "meterhub_opendtu_mqtt_samples_total", "Samples stored from OpenDTU MQTT topics.",
                          MetricType::kCounter, static_cast<std::int64_t>(r.samples));
        api::AppendMetric(out, "meterhub_opendtu_mqtt_unclaimed_total", "Values of inverters no tenant registered.",
                          MetricType::kCounter, static_cast<std::int64_t>(r.unclaimed));
    });
    std::cout << "meterhub: reading OpenDTU topics " << reader->TopicFilter() << " from MQTT broker " << broker
              << (config.mqtt.share_group.empty() ? "" : " (shared in group " + config.mqtt.share_group + ")")
              << std::endl;
    return service;
}

}  // namespace mh::cli
