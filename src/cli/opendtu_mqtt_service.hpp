// Serve's OpenDTU MQTT reader: collect::OpenDtuMqtt subscribed on serve's broker connection (cli::MqttService),
// with its metrics. The subscription is shared (MqttShare::kGroup): with mqtt.share_group set, instances split
// the OpenDTU topics between them instead of each storing every value.
#pragma once

#include <memory>

#include "api/api.hpp"
#include "cli/config.hpp"
#include "cli/mqtt_service.hpp"
#include "cli/runtime.hpp"
#include "collect/opendtu_mqtt.hpp"

namespace mh::cli {

class OpenDtuMqttService {
  public:
    // nullptr when there is no broker connection or opendtu.mqtt is off. `mqtt` must be stopped before this is
    // destroyed (its handler calls into the reader).
    static Result<std::unique_ptr<OpenDtuMqttService>> Start(const Config& config, Runtime& runtime, api::Api& api,
                                                             MqttService* mqtt);

  private:
    std::unique_ptr<collect::OpenDtuMqtt> reader_;
};

}  // namespace mh::cli
