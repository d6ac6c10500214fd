// DemoConfig: the [demo] section, the simulated devices of `serve --demo`. A plain value; see
// core/config_section.hpp for how a section is described and loaded.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/config_section.hpp"
#include "core/result.hpp"

namespace mh::cli {

struct DemoConfig {
    static constexpr std::string_view kSection = "demo";

    std::int64_t interval_s = 5;  // how often the demo's simulated devices report

    void Describe(config::Section& section);
    Status Validate() const;
};

}  // namespace mh::cli
