#include "cli/demo_config.hpp"

namespace mh::cli {

void DemoConfig::Describe(config::Section& section) {
    section.Key("interval_s", interval_s, "how often the simulated devices of serve --demo report (s)");
}

Status DemoConfig::Validate() const {
    if (interval_s < 1) return config::Invalid("demo.interval_s must be at least 1");
    return Ok();
}

}  // namespace mh::cli
