// Fuzzes the OpenDTU push parser and the MQTT topic mapping: any bytes give a value or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/opendtu/mqtt_topics.hpp"
#include "ingest/opendtu/push_payload.hpp"
#include "ingest/opendtu/samples.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto parsed = mh::ingest::opendtu::ParsePush(text)) {
        for (const auto& inverter : parsed->inverters) {
            for (const auto& reading : mh::ingest::opendtu::ReadingsOf(inverter)) {
                if (reading.metric.empty()) __builtin_trap();
            }
        }
    }
    // The same bytes as "topic payload".
    const auto space = text.find(' ');
    if (space != std::string_view::npos) {
        (void)mh::ingest::opendtu::ParseTopic("solar/", text.substr(0, space), text.substr(space + 1));
    }
    return 0;
}
