// MqttService: serve's one connection to the MQTT broker ([mqtt]: net::MqttClient), the worker thread its
// handlers run on, the "mqtt" readiness check and the connection's metrics. Modules subscribe on client():
// OpenDTU ingest today (cli/opendtu_mqtt_service.*), more later, all on this one connection.
//
// One worker thread: the handlers of one connection run one after another in arrival order, as OpenDTU values
// did when they were read on the network thread. Owned by serve; Stop() before destroying what handlers use.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/api.hpp"
#include "cli/config.hpp"
#include "core/thread_executor.hpp"
#include "net/mqtt_client.hpp"

namespace mh::cli {

// "meterhub-<instance>" unless mqtt.client_id names one. `instance` is this process's instance number (today the
// IdGenerator's node); two instances must not share a client id: the broker would drop one for the other.
std::string MqttClientId(const net::MqttConfig& config, std::uint32_t instance);
net::MqttOptions MqttOptionsFrom(const net::MqttConfig& config, std::uint32_t instance);

class MqttService {
  public:
    // Whether a configured module reads from the broker (today: OpenDTU); without one serve opens no connection.
    static bool Wanted(const Config& config);
    // Connects in the background (a broker that is away is retried). `instance`: see MqttClientId.
    static Result<std::unique_ptr<MqttService>> Start(const Config& config, std::uint32_t instance, api::Api& api);
    ~MqttService();

    net::MqttClient& client() { return *client_; }
    // Disconnects and waits for running handlers; none runs after it. Idempotent.
    void Stop();

  private:
    MqttService() = default;

    ThreadExecutor workers_{1, "mqtt handlers"};  // declared first: outlives the client
    std::unique_ptr<net::MqttClient> client_;
};

}  // namespace mh::cli
