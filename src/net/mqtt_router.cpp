#include "net/mqtt_router.hpp"

#include <mosquitto.h>

namespace mh::net {

bool MqttTopicMatches(const std::string& filter, const std::string& topic) {
    bool result = false;
    return mosquitto_topic_matches_sub(filter.c_str(), topic.c_str(), &result) == MOSQ_ERR_SUCCESS && result;
}

bool MqttHasWildcards(std::string_view filter) {
    return filter.find_first_of("+#") != std::string_view::npos;
}

}  // namespace mh::net
