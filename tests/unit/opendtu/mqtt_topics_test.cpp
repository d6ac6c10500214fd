#include "ingest/opendtu/mqtt_topics.hpp"

#include <gtest/gtest.h>

namespace mh::ingest::opendtu {
namespace {

TopicReading ReadingOf(std::string_view topic, std::string_view payload) {
    auto message = ParseTopic("solar/", topic, payload);
    EXPECT_TRUE(message && std::holds_alternative<TopicReading>(*message)) << topic;
    return message ? std::get<TopicReading>(*message) : TopicReading{};
}

TEST(OpenDtuMqtt, MapsInverterAndChannelTopicsToThePushSeries) {
    auto power = ReadingOf("solar/116180212345/0/power", "16.1");
    EXPECT_EQ(power.serial, "116180212345");
    EXPECT_EQ(power.reading.metric, "power_ac");
    EXPECT_EQ(power.reading.unit, "W");
    EXPECT_DOUBLE_EQ(power.reading.value, 16.1);

    auto day = ReadingOf("solar/116180212345/0/yieldday", "1337");
    EXPECT_EQ(day.reading.metric, "energy_today");
    EXPECT_TRUE(day.reading.counter);
    EXPECT_DOUBLE_EQ(day.reading.value, 1.337);

    auto dc = ReadingOf("solar/116180212345/2/voltage", "31.2");  // DC inputs are 1-based on MQTT
    EXPECT_EQ(dc.reading.metric, "dc2.voltage");
    EXPECT_EQ(ReadingOf("solar/116180212345/1/yieldtotal", "444.671").reading.metric, "dc1.energy_total");
    EXPECT_EQ(ReadingOf("solar/116180212345/status/reachable", "1").reading.metric, "reachable");
    EXPECT_EQ(ReadingOf("solar/116180212345/0/temperature", "31.5").reading.unit, "°C");
}

TEST(OpenDtuMqtt, FirmwareIsAFact) {
    auto message = ParseTopic("solar/", "solar/116180212345/device/fwbuildversion", "10012");
    ASSERT_TRUE(message && std::holds_alternative<TopicFact>(*message));
    EXPECT_EQ(std::get<TopicFact>(*message).firmware, "10012");
}

TEST(OpenDtuMqtt, IgnoresWhatIsNotAnInverterValue) {
    for (auto [topic, payload] : std::initializer_list<std::pair<const char*, const char*>>{
             {"solar/dtu/rssi", "-60"},
             {"solar/ac/power", "100"},
             {"solar/dc/irradiation", "4"},
             {"solar/116180212345/name", "Garage"},
             {"solar/116180212345/1/name", "East"},
             {"solar/116180212345/0/power", "n/a"},
             {"solar/116180212345/0/power", "nan"},
             {"solar/116180212345/0/power", ""},
             {"solar/116180212345/0/unknownfield", "1"},
             {"solar/116180212345/17/power", "1"},
             {"solar/116180212345/0111111111111111111111111111111111111111111/yieldtotal", "7"},  // found by the fuzzer
             {"solar/116180212345/1e300/power", "1"},
             {"solar/116180212345/cmd/limit_persistent_relative", "50"},
             {"solar/116180212345/0/power/extra", "1"},
             {"other/116180212345/0/power", "1"},
             {"solar/116180212345/status/last_update", "1782036000"},
         }) {
        EXPECT_FALSE(ParseTopic("solar/", topic, payload)) << topic << " " << payload;
    }
}

TEST(OpenDtuMqtt, AnyBaseTopic) {
    auto message = ParseTopic("home/pv/", "home/pv/116180212345/0/power", "5");
    ASSERT_TRUE(message);
    EXPECT_EQ(std::get<TopicReading>(*message).reading.metric, "power_ac");
}

}  // namespace
}  // namespace mh::ingest::opendtu
