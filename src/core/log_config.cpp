#include "core/log_config.hpp"

#include <algorithm>
#include <iterator>

namespace mh {

void LogConfig::Describe(config::Section& section) {
    section.Key("level", level, "trace, debug, info, warn or error")
        .Key("format", format, "console (human-readable lines) or json (one object per line)");
}

Status LogConfig::Validate() const {
    static const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
    if (std::none_of(std::begin(kLevels), std::end(kLevels), [&](const char* l) { return level == l; })) {
        return config::Invalid("log.level must be one of trace, debug, info, warn, error (got '" + level + "')");
    }
    if (format != "console" && format != "json") {
        return config::Invalid("log.format must be console or json (got '" + format + "')");
    }
    return Ok();
}

}  // namespace mh
