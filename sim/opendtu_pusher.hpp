// `meterhub sim opendtu`: simulated DTUs that push their inverters' readings to meterhub over HTTP (the fork's
// POST /api/opendtu/measurements with an API key, keep-alive) or publish them as upstream OpenDTU's MQTT topics.
// Every answer is checked: a push that is not 201 is counted (and logged a few times).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/time_zone.hpp"

namespace mh::sim {

struct OpenDtuSimOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;  // meterhub's HTTP port, or the MQTT broker's with `mqtt`
    bool mqtt = false;          // publish MQTT topics instead of pushing over HTTP
    std::string api_key;        // HTTP: the tenant's device API key
    std::string base_topic = "solar/";
    std::size_t dtus = 1;
    std::size_t inverters = 2;  // per DTU
    std::uint64_t first_serial = 116'100'000'000;  // inverter j of DTU i: first + i * inverters + j
    std::chrono::milliseconds interval{std::chrono::seconds(60)};
    std::uint64_t rounds = 0;  // stop after this many pushes per DTU; 0: until stopped
    std::uint64_t seed = 1;
    TimeZone zone = TimeZone::Utc();  // the daylight curve's local time

    Status Validate() const;
};

struct OpenDtuSimStats {
    std::atomic<std::uint64_t> pushes{0};   // HTTP pushes answered 201 (or MQTT rounds published)
    std::atomic<std::uint64_t> failures{0}; // other answers, refused connections, failed publishes
};

// The serials of DTU `dtu`'s inverters, as strings.
std::string InverterSerial(const OpenDtuSimOptions& options, std::size_t dtu, std::size_t inverter);

// Runs until `stop` or `rounds`; the readings are taken at `clock`'s time.
Status RunOpenDtuSim(const OpenDtuSimOptions& options, const Clock& clock, OpenDtuSimStats& stats,
                     std::stop_token stop);

}  // namespace mh::sim
