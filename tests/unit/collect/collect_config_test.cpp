// The collectors' config sections on their own: [solarman] and [opendtu].
#include <gtest/gtest.h>

#include "collect/opendtu_config.hpp"
#include "collect/solarman_config.hpp"

namespace mh::collect {
namespace {

template <typename T>
std::string Verdict(const T& config) {
    auto status = config.Validate();
    return status ? std::string("valid") : status.error().message;
}

TEST(SolarmanConfigTest, DefaultsAreValidAndEachLimitIsChecked) {
    SolarmanConfig solarman;
    EXPECT_EQ(Verdict(solarman), "valid");
    solarman.port = -1;
    EXPECT_EQ(Verdict(solarman), "config: solarman.port must be 0..65535");
    solarman = {};
    solarman.poll_interval_s = 0;
    EXPECT_EQ(Verdict(solarman), "config: solarman.poll_interval_s must be at least 1");
    solarman = {};
    solarman.poll_rescan_s = 0;
    EXPECT_EQ(Verdict(solarman), "config: solarman.poll_rescan_s must be at least 1");
    solarman = {};
    solarman.idle_timeout_s = 0;
    EXPECT_EQ(Verdict(solarman), "config: solarman.idle_timeout_s must be at least 1");
    solarman = {};
    solarman.max_connections = 0;
    EXPECT_EQ(Verdict(solarman), "config: solarman.max_connections must be at least 1");
    solarman = {};
    solarman.max_buffer_kb = 1025;
    EXPECT_EQ(Verdict(solarman), "config: solarman.max_buffer_kb must be 2..1024");
    solarman.max_buffer_kb = 2;
    EXPECT_EQ(Verdict(solarman), "valid");
}

TEST(OpenDtuConfigTest, TheBaseTopicHasNoWildcards) {
    OpenDtuConfig opendtu;
    EXPECT_EQ(Verdict(opendtu), "valid");
    for (const char* topic : {"solar/#", "solar/+/"}) {
        opendtu.base_topic = topic;
        EXPECT_EQ(Verdict(opendtu), "config: opendtu.base_topic must not contain MQTT wildcards") << topic;
    }
}

}  // namespace
}  // namespace mh::collect
