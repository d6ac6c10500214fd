// OpenDtuMqtt: upstream OpenDTU's MQTT topics to samples. Each message that ParseTopic maps to a value of a
// registered inverter is written at its arrival time; inverters no tenant registered are recorded as unclaimed
// (once per DeviceDirectory flush interval), and firmware versions update the device.
//
// OnMessage runs on a worker of the MQTT client (serve: one thread, in arrival order), never on its network thread;
// it may read the store on a cache miss and never waits for the
// write (the engine acknowledges asynchronously; a refused write is counted and logged).
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "collect/opendtu_inverters.hpp"
#include "core/clock.hpp"
#include "tsdb/engine.hpp"

namespace mh::collect {

struct OpenDtuMqttStats {
    std::uint64_t messages = 0;   // every message seen
    std::uint64_t samples = 0;    // values handed to the engine
    std::uint64_t unclaimed = 0;  // values of inverters nobody registered
    std::uint64_t ignored = 0;    // topics that are not inverter values (DTU totals, names, commands)
    std::uint64_t failed = 0;     // writes the engine refused
};

class OpenDtuMqtt {
  public:
    OpenDtuMqtt(OpenDtuInverters& inverters, tsdb::Engine& engine, const Clock& clock, std::string base_topic,
                std::string broker);

    // The subscription that covers every topic this reads.
    std::string TopicFilter() const { return base_topic_ + "#"; }
    void OnMessage(std::string_view topic, std::string_view payload);
    OpenDtuMqttStats stats() const;

  private:
    OpenDtuInverters& inverters_;
    tsdb::Engine& engine_;
    const Clock& clock_;
    const std::string base_topic_;
    const std::string source_address_;  // what unclaimed devices show as their address
    std::atomic<std::uint64_t> messages_{0}, samples_{0}, unclaimed_{0}, ignored_{0};
    std::shared_ptr<std::atomic<std::uint64_t>> failed_ = std::make_shared<std::atomic<std::uint64_t>>(0);
};

}  // namespace mh::collect
