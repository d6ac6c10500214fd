// SolarmanConfig: the [solarman] section, the collector Solarman V5 data loggers push to and the pollers that read
// loggers in pull mode. A plain value; see core/config_section.hpp for how a section is described and loaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/config_section.hpp"
#include "core/result.hpp"

namespace mh::collect {

struct SolarmanConfig {
    static constexpr std::string_view kSection = "solarman";

    bool enabled = true;  // listen for Solarman V5 data loggers
    std::string address = "0.0.0.0";
    std::int64_t port = 10000;          // the logger's "Server B" port
    std::int64_t idle_timeout_s = 300;  // loggers send a heartbeat every minute or so
    std::int64_t max_connections = 20'000;
    std::int64_t max_buffer_kb = 16;    // per connection, frames not yet complete
    std::string maps_dir;               // extra field/register map files (*.toml); empty: built-in maps only
    std::int64_t poll_interval_s = 60;  // pull mode: how often devices with a poll address are read
    std::int64_t poll_rescan_s = 60;    // pull mode: how often the device list is re-read for changes

    void Describe(config::Section& section);
    Status Validate() const;
};

}  // namespace mh::collect
