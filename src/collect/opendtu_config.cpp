#include "collect/opendtu_config.hpp"

namespace mh::collect {

void OpenDtuConfig::Describe(config::Section& section) {
    section.Key("mqtt", mqtt, "read upstream OpenDTU's topics from the [mqtt] broker")
        .Key("base_topic", base_topic, "OpenDTU's \"MQTT base topic\"");
}

Status OpenDtuConfig::Validate() const {
    if (base_topic.find_first_of("#+") != std::string::npos) {
        return config::Invalid("opendtu.base_topic must not contain MQTT wildcards");
    }
    return Ok();
}

}  // namespace mh::collect
