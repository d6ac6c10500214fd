// Logging: spdlog set up once at start, as human-readable console lines or one JSON object per line.
#pragma once

#include <spdlog/spdlog.h>

#include "core/log_config.hpp"

namespace mh {

// Installs the default logger (stderr). Safe to call again, e.g. after the config is loaded.
void SetUpLogging(const LogConfig& config);

}  // namespace mh
