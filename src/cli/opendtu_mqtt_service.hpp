// Serve's OpenDTU MQTT reader: the broker connection (net::MqttClient) feeding collect::OpenDtuMqtt, with its
// readiness check ("mqtt" in /readyz) and metrics.
#pragma once

#include <memory>

#include "api/api.hpp"
#include "cli/runtime.hpp"
#include "collect/opendtu_mqtt.hpp"
#include "core/config.hpp"
#include "net/mqtt_client.hpp"

namespace mh::cli {

class OpenDtuMqttService {
  public:
    // nullptr when MQTT is not configured (mqtt.host empty or opendtu.mqtt off).
    static Result<std::unique_ptr<OpenDtuMqttService>> Start(const Config& config, Runtime& runtime, api::Api& api);
    ~OpenDtuMqttService();  // disconnects; queued writes still land

  private:
    std::unique_ptr<collect::OpenDtuMqtt> reader_;
    std::unique_ptr<net::MqttClient> client_;
};

}  // namespace mh::cli
