// Upstream OpenDTU's MQTT topics (<base><serial>/<channel>/<field>, values as plain text) mapped to the series
// of the push path. Pure: a function from topic and payload to what they mean.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "ingest/opendtu/samples.hpp"

namespace mh::ingest::opendtu {

// A value of one inverter.
struct TopicReading {
    std::string serial;
    Reading reading;
};

// Something the inverter says about itself (its firmware build).
struct TopicFact {
    std::string serial;
    std::string firmware;
};

using TopicMessage = std::variant<TopicReading, TopicFact>;

// nullopt for topics outside `base`, DTU-wide topics (dtu/, ac/, dc/ totals), commands, unknown fields and
// payloads that are not numbers.
std::optional<TopicMessage> ParseTopic(std::string_view base, std::string_view topic, std::string_view payload);

}  // namespace mh::ingest::opendtu
