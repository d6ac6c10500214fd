#include "collect/opendtu_mqtt.hpp"

#include <spdlog/spdlog.h>

#include "domain/access.hpp"
#include "ingest/opendtu/mqtt_topics.hpp"

namespace mh::collect {

OpenDtuMqtt::OpenDtuMqtt(OpenDtuInverters& inverters, tsdb::Engine& engine, const Clock& clock,
                         std::string base_topic, std::string broker)
    : inverters_(inverters),
      engine_(engine),
      clock_(clock),
      base_topic_(std::move(base_topic)),
      source_address_("mqtt://" + broker) {}

void OpenDtuMqtt::OnMessage(std::string_view topic, std::string_view payload) {
    messages_.fetch_add(1, std::memory_order_relaxed);
    const auto message = ingest::opendtu::ParseTopic(base_topic_, topic, payload);
    if (!message) {
        ignored_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const std::string& serial = std::visit([](const auto& m) -> const std::string& { return m.serial; }, *message);
    auto device = inverters_.Find(serial, source_address_, "OpenDTU over MQTT");
    if (!device) {
        spdlog::warn("opendtu mqtt: {}: {}", serial, device.error().message);
        return;
    }
    if (!*device) {
        unclaimed_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (const auto* fact = std::get_if<ingest::opendtu::TopicFact>(&*message)) {
        if (auto status = inverters_.UpdateFacts(**device, {.firmware = fact->firmware}); !status) {
            spdlog::warn("opendtu mqtt: {}: {}", serial, status.error().message);
        }
        return;
    }
    const auto& reading = std::get<ingest::opendtu::TopicReading>(*message).reading;
    std::vector<tsdb::SeriesSample> samples;
    if (auto status = inverters_.AppendSamples(**device, std::span(&reading, 1), ToMillis(clock_.Now()), samples);
        !status) {
        spdlog::warn("opendtu mqtt: {} {}: {}", serial, reading.metric, status.error().message);
        return;
    }
    samples_.fetch_add(samples.size(), std::memory_order_relaxed);
    engine_.WriteAsync(domain::Access::ForDeviceKey((*device)->tenant), std::move(samples),
                       [failed = failed_, &inverters = inverters_, id = (*device)->id](Status status) {
                           if (status) return;
                           if (failed->fetch_add(1) == 0 || status.error().code != Errc::kResourceExhausted) {
                               spdlog::warn("opendtu mqtt: write refused: {}", status.error().message);
                           }
                           if (status.error().code == Errc::kNotFound) inverters.Forget(id);
                       });
}

OpenDtuMqttStats OpenDtuMqtt::stats() const {
    return {messages_.load(), samples_.load(), unclaimed_.load(), ignored_.load(), failed_->load()};
}

}  // namespace mh::collect
