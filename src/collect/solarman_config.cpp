#include "collect/solarman_config.hpp"

namespace mh::collect {

void SolarmanConfig::Describe(config::Section& section) {
    section.Key("enabled", enabled, "listen for Solarman V5 data loggers")
        .Key("address", address, "address the loggers push to")
        .Key("port", port, "its TCP port (the logger's \"Server B\"); 0 picks a free one")
        .Key("idle_timeout_s", idle_timeout_s, "a logger silent this long (s) is disconnected")
        .Key("max_connections", max_connections, "loggers connected at once")
        .Key("max_buffer_kb", max_buffer_kb, "per connection, bytes of frames not yet complete (KiB)")
        .Key("maps_dir", maps_dir, "extra field/register map files (*.toml); empty: built-in maps only")
        .Key("poll_interval_s", poll_interval_s, "pull mode: how often devices with a poll address are read (s)")
        .Key("poll_rescan_s", poll_rescan_s, "pull mode: how often the device list is re-read for changes (s)");
}

Status SolarmanConfig::Validate() const {
    if (port < 0 || port > 65535) return config::Invalid("solarman.port must be 0..65535");
    if (poll_interval_s < 1) return config::Invalid("solarman.poll_interval_s must be at least 1");
    if (poll_rescan_s < 1) return config::Invalid("solarman.poll_rescan_s must be at least 1");
    if (idle_timeout_s < 1) return config::Invalid("solarman.idle_timeout_s must be at least 1");
    if (max_connections < 1) return config::Invalid("solarman.max_connections must be at least 1");
    if (max_buffer_kb < 2 || max_buffer_kb > 1024) return config::Invalid("solarman.max_buffer_kb must be 2..1024");
    return Ok();
}

}  // namespace mh::collect
