#include "ingest/opendtu/push_payload.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ingest/opendtu/samples.hpp"

namespace mh::ingest::opendtu {
namespace {

std::string Fixture(const std::string& name) {
    std::ifstream in(std::string(MH_TEST_SOURCE_DIR) + "/tests/fixtures/opendtu/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A minimal valid body with one inverter, `extra` spliced into the inverter object.
std::string Body(const std::string& measurements, const std::string& extra = "") {
    return R"({"timestamp":"2026-01-01T12:00:00Z","dtu_serial":"1999","inverters":[{"serial":"116180212345",)"
           R"("measurements":)" +
           measurements + extra + "}]}";
}
const std::string kAc =
    R"({"power_ac":100.5,"voltage_ac":230,"current_ac":0.44,"frequency":50,"power_factor":0.99,"power_dc":104})";

std::string ErrorOf(const std::string& body) {
    auto parsed = ParsePush(body);
    EXPECT_FALSE(parsed) << body;
    return parsed ? "" : parsed.error().message;
}

TEST(OpenDtuPush, ParsesTheFirmwaresBody) {
    auto p = ParsePush(Fixture("push_two_inverters.json"));
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->ts_ms, 1'782'036'000'000);  // 12:00 at +02:00
    EXPECT_EQ(p->dtu_serial, "199980123456");
    ASSERT_EQ(p->inverters.size(), 2u);
    const PushInverter& garage = p->inverters[0];
    EXPECT_EQ(garage.serial, "116180212345");
    EXPECT_EQ(garage.name, "Garage");
    EXPECT_EQ(garage.reachable, true);
    EXPECT_DOUBLE_EQ(garage.ac.power_ac, 16.1);
    EXPECT_DOUBLE_EQ(garage.ac.power_factor, 0.617);
    ASSERT_EQ(garage.dc.size(), 2u);
    EXPECT_EQ(garage.dc[1].channel, 2);
    EXPECT_EQ(garage.dc[1].name, "West");
    EXPECT_DOUBLE_EQ(*garage.dc[0].yield_total_kwh, 444.671);
    EXPECT_TRUE(p->inverters[1].dc.empty());
}

TEST(OpenDtuPush, ReadingsKeepEveryFieldAsMeasured) {
    auto p = ParsePush(Fixture("push_two_inverters.json"));
    ASSERT_TRUE(p);
    const auto readings = ReadingsOf(p->inverters[0]);
    auto value = [&](std::string_view metric) -> std::optional<double> {
        for (const auto& r : readings) {
            if (r.metric == metric) return r.value;
        }
        return std::nullopt;
    };
    EXPECT_DOUBLE_EQ(*value("power_ac"), 16.1);  // not truncated to 16
    EXPECT_DOUBLE_EQ(*value("grid_current"), 0.07);
    EXPECT_DOUBLE_EQ(*value("power_dc"), 17);
    EXPECT_DOUBLE_EQ(*value("reachable"), 1);
    EXPECT_DOUBLE_EQ(*value("dc1.voltage"), 30.4);
    EXPECT_DOUBLE_EQ(*value("dc2.irradiation"), 6.2);
    EXPECT_DOUBLE_EQ(*value("dc1.energy_today"), 0.337);  // Wh -> kWh
    EXPECT_DOUBLE_EQ(*value("energy_today"), 1.337);      // 337 + 1000 Wh
    EXPECT_DOUBLE_EQ(*value("energy_total"), 444.671 + 500.5);
    EXPECT_EQ(readings.size(), 8u + 2 * 6 + 2);
    for (const auto& r : readings) {
        EXPECT_EQ(r.counter, r.metric.ends_with("energy_today") || r.metric.ends_with("energy_total")) << r.metric;
    }
}

TEST(OpenDtuPush, ThePredecessorsYieldSums) {
    const std::string channels =
        R"(,"dc_channels":[{"channel":1,"name":"A","power":50,"voltage":30,"current":1.6,"yield_day":1000,)"
        R"("yield_total":500.5,"irradiation":10},{"channel":2,"name":"B","power":50,"voltage":30,"current":1.6,)"
        R"("yield_day":800,"yield_total":400.3,"irradiation":10}])";
    auto p = ParsePush(Body(kAc, channels));
    ASSERT_TRUE(p) << p.error().message;
    double day = -1, total = -1;
    for (const auto& r : ReadingsOf(p->inverters[0])) {
        if (r.metric == "energy_today") day = r.value;
        if (r.metric == "energy_total") total = r.value;
    }
    EXPECT_DOUBLE_EQ(day, 1.8);      // 1800 Wh
    EXPECT_DOUBLE_EQ(total, 900.8);  // not the predecessor's truncated 900
}

TEST(OpenDtuPush, NoChannelsMeansNoEnergy) {
    auto p = ParsePush(Body(kAc));
    ASSERT_TRUE(p);
    for (const auto& r : ReadingsOf(p->inverters[0])) EXPECT_FALSE(r.counter) << r.metric;
}

TEST(OpenDtuPush, EmptyInverterListIsValid) {
    auto p = ParsePush(R"({"timestamp":"2026-01-01T00:00:00Z","dtu_serial":"1","inverters":[]})");
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->inverters.empty());
}

TEST(OpenDtuPush, ErrorsNameTheField) {
    EXPECT_EQ(ErrorOf("{"), "body is not JSON: " + ErrorOf("{").substr(18));
    EXPECT_EQ(ErrorOf("[]"), "body: must be a JSON object");
    EXPECT_EQ(ErrorOf(R"({"dtu_serial":"1","inverters":[]})"), "timestamp: is required");
    EXPECT_EQ(ErrorOf(R"({"timestamp":"yesterday","dtu_serial":"1","inverters":[]})").substr(0, 24),
              "timestamp: is not an RFC");
    EXPECT_EQ(ErrorOf(R"({"timestamp":"2026-01-01T00:00:00Z","dtu_serial":"1"})"), "inverters: is required");
    EXPECT_EQ(ErrorOf(R"({"timestamp":"2026-01-01T00:00:00Z","dtu_serial":"1","inverters":[7]})"),
              "inverters[0]: must be an object");
    EXPECT_EQ(ErrorOf(Body(R"({"power_ac":"100"})")), "inverters[0].measurements.power_ac: must be a number");
    EXPECT_EQ(ErrorOf(Body(R"({"power_ac":1})")), "inverters[0].measurements.voltage_ac: is required");
    EXPECT_EQ(ErrorOf(Body(R"({"power_ac":-5})")), "inverters[0].measurements.power_ac: must not be negative");
    EXPECT_EQ(ErrorOf(Body(R"({"power_ac":1e300})")), "inverters[0].measurements.power_ac: is out of range");
    EXPECT_EQ(ErrorOf(Body(kAc, R"(,"dc_channels":[{"channel":0,"power":1}])")),
              "inverters[0].dc_channels[0].channel: must be a whole number from 1 to 16");
    EXPECT_EQ(ErrorOf(Body(kAc, R"(,"dc_channels":[{"channel":1,"power":1},{"channel":1,"power":2}])")),
              "inverters[0].dc_channels[1].channel: appears twice");
    EXPECT_EQ(ErrorOf(Body(kAc, R"(,"dc_channels":[{"channel":1,"power":1,"voltage":null,"yield_day":-1}])")),
              "inverters[0].dc_channels[0].yield_day: must not be negative");
    EXPECT_EQ(ErrorOf(Body(kAc, R"(,"reachable":"yes")")), "inverters[0].reachable: must be true or false");
    EXPECT_EQ(ErrorOf(Body(R"({"power_ac":1,"voltage_ac":1,"current_ac":1,"frequency":1,"power_factor":2,"power_dc":1})")),
              "inverters[0].measurements.power_factor: must be between -1 and 1");
    EXPECT_EQ(ErrorOf(R"({"timestamp":"2026-01-01T00:00:00Z","dtu_serial":"1","inverters":[{"serial":"a b"}]})"),
              "inverters[0].serial: must be 1 to 64 printable characters without spaces");
}

TEST(OpenDtuPush, HostileBodiesAreRefused) {
    EXPECT_EQ(ErrorOf(R"({"timestamp":"2026-01-01T00:00:00Z","dtu_serial":")" + std::string(10'000, 'x') +
                      R"(","inverters":[]})"),
              "dtu_serial: must be at most 128 characters");
    std::string many = R"({"timestamp":"2026-01-01T00:00:00Z","dtu_serial":"1","inverters":[)";
    for (int i = 0; i < 10'000; ++i) many += std::string(i ? "," : "") + R"({"serial":")" + std::to_string(i) + "\"}";
    EXPECT_EQ(ErrorOf(many + "]}"), "inverters: must have at most 100 entries");
    EXPECT_EQ(ErrorOf(std::string(100, '[') + std::string(100, ']')).substr(0, 17), "body is not JSON:");
    EXPECT_EQ(ErrorOf(Body(R"({"power_ac":NaN})")).substr(0, 17), "body is not JSON:");
    EXPECT_EQ(ErrorOf("{\"timestamp\":\"\xff\xfe\"}").substr(0, 17), "body is not JSON:");
}

}  // namespace
}  // namespace mh::ingest::opendtu
