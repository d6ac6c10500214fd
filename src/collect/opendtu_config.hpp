// OpenDtuConfig: the [opendtu] section, whether and where upstream OpenDTU's MQTT topics are read (HTTP push needs
// no setting). A plain value; see core/config_section.hpp for how a section is described and loaded.
#pragma once

#include <string>
#include <string_view>

#include "core/config_section.hpp"
#include "core/result.hpp"

namespace mh::collect {

struct OpenDtuConfig {
    static constexpr std::string_view kSection = "opendtu";

    bool mqtt = true;                   // read upstream OpenDTU topics when an MQTT broker is configured
    std::string base_topic = "solar/";  // OpenDTU's "MQTT base topic"

    void Describe(config::Section& section);
    Status Validate() const;
};

}  // namespace mh::collect
