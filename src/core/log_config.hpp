// LogConfig: the [log] section, read by SetUpLogging (core/logging.hpp). A plain value; see core/config_section.hpp
// for how a section is described and loaded.
#pragma once

#include <string>
#include <string_view>

#include "core/config_section.hpp"
#include "core/result.hpp"

namespace mh {

struct LogConfig {
    static constexpr std::string_view kSection = "log";

    std::string level = "info";      // trace, debug, info, warn, error
    std::string format = "console";  // console or json

    void Describe(config::Section& section);
    Status Validate() const;
};

}  // namespace mh
