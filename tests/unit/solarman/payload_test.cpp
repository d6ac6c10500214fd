#include "ingest/solarman/payload.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ingest/solarman/logger_info.hpp"
#include "unit/solarman/fixtures.hpp"

namespace mh::ingest::solarman {
namespace {

using testing::LoadFrame;

FieldMap Builtin(std::string_view name) {
    auto map = BuiltinFieldMap(name);
    if (!map) throw std::runtime_error(map.error().message);
    return *std::move(map);
}

DataReport Decode(const Frame& frame, std::string_view map_name) {
    auto report = DecodeDataPayload(frame.payload, Builtin(map_name));
    if (!report) throw std::runtime_error(report.error().message);
    return *std::move(report);
}

// name -> value; the values must be the doubles nearest to the decimals (scales divide, they do not multiply).
std::map<std::string, double> Values(const DataReport& report) {
    std::map<std::string, double> values;
    for (const DecodedSample& s : report.samples) values[s.name] = s.value;
    return values;
}

// The values tsun-gen3-proxy's test_infos_g3p.py asserts for this very frame (via the notes, section 3).
TEST(Payload, Sensor02B0CaptureDecodesToTsunsExpectedValues) {
    const Frame frame = LoadFrame("tsun02b0_data");
    const DataReport report = Decode(frame, "sensor_02b0_push");
    ASSERT_TRUE(report.header);
    EXPECT_EQ(report.header->frame_type, 0x01);
    EXPECT_EQ(report.header->sensor_type, 0x02B0);
    EXPECT_EQ(report.header->packet_counter & 0xFFFF, 2051u);  // tsun: "Power_On_Time" 2051 (u16 at frame 0x1C)
    EXPECT_EQ(report.inverter_serial, "Y17E7A0F010B013E");
    EXPECT_FALSE(report.historic);
    // total working time 0x3224C8BC + offset time 0x33E447A0 = 1711870044 s = 2024-03-31T07:27:24 (logger clock).
    EXPECT_EQ(report.device_time_ms, 1711870044000);

    const std::map<std::string, double> expected = {
        {"grid_voltage", 224.8},     {"grid_current", 0.73},      {"grid_frequency", 50.05},
        {"temperature", 14},         {"power_ac", 165.8},         {"dc1.voltage", 35.3},
        {"dc1.current", 1.68},       {"dc1.power", 59.6},         {"dc1.energy_today", 0.04},
        {"dc1.energy_total", 30.76}, {"dc2.voltage", 34.6},       {"dc2.current", 1.38},
        {"dc2.power", 48.4},         {"dc2.energy_today", 0.03},  {"dc2.energy_total", 27.91},
        {"dc3.voltage", 34.6},       {"dc3.current", 1.89},       {"dc3.power", 65.5},
        {"dc3.energy_today", 0.05},  {"dc3.energy_total", 31.89}, {"dc4.voltage", 1.7},
        {"dc4.current", 0.01},       {"dc4.power", 0.0},          {"dc4.energy_today", 0.0},
        {"dc4.energy_total", 15.58}, {"energy_today", 0.11},      {"energy_total", 101.36},
    };
    EXPECT_EQ(Values(report), expected);  // exact: 224.8 is the literal's double, not 2248 * 0.1
    EXPECT_EQ(*report.FindAttribute("firmware_version"), "V4.0.10");
    EXPECT_EQ(*report.FindAttribute("rated_power"), "600");
    EXPECT_EQ(*report.FindAttribute("max_designed_power"), "2000");
    EXPECT_EQ(*report.FindAttribute("inverter_status"), "1");
    EXPECT_TRUE(report.skipped.empty());
    EXPECT_TRUE(report.FindSample("energy_total")->counter);
    EXPECT_FALSE(report.FindSample("power_ac")->counter);
    EXPECT_EQ(report.FindSample("power_ac")->unit, "W");
}

TEST(Payload, Sensor02B0HistoricFrameCarriesItsOwnTime) {
    const DataReport report = Decode(LoadFrame("tsun02b0_data_historic"), "sensor_02b0_push");
    EXPECT_TRUE(report.historic);
    EXPECT_EQ(report.header->frame_type, 0x81);
    // offset time 0x030407A0: 841271484 + 50595744 = 891867228 s, 1998: a logger clock never set -> no time.
    EXPECT_EQ(report.device_time_ms, std::nullopt);
    EXPECT_EQ(report.FindSample("power_ac")->value, 165.8);
}

// The synthetic Deye micro frame (tests/fixtures/solarman/make_fixtures.py, from the notes' table 2.7).
TEST(Payload, DeyeMicroSynthetic) {
    const Frame frame = LoadFrame("deyemicro_data_synthetic");
    const DataReport report = Decode(frame, "deye_micro_push");
    EXPECT_EQ(report.header->sensor_type, 0x5408);
    EXPECT_EQ(report.header->power_on_time_s, 3600u);
    EXPECT_EQ(report.header->packet_counter, 4242u);
    EXPECT_EQ(report.inverter_serial, "2306114210");
    EXPECT_FALSE(report.historic);
    EXPECT_EQ(report.device_time_ms, 1712838600000);  // 2024-04-11T12:30:00
    const std::map<std::string, double> expected = {
        {"energy_today", 1.23},     {"energy_total", 4567.8}, {"grid_voltage", 230.1}, {"grid_current", 2.6},
        {"grid_frequency", 49.98},  {"power_ac", 598},        {"temperature", -5.12},  {"dc1.voltage", 34.5},
        {"dc1.current", 8.7},       {"dc1.power", 300.15},    {"dc2.voltage", 35.2},   {"dc2.current", 8.2},
        {"dc2.power", 288.64},      {"dc3.voltage", 0},       {"dc3.current", 0},      {"dc3.power", 0},
        {"dc4.voltage", 0},         {"dc4.current", 0},       {"dc4.power", 0},        {"dc1.energy_today", 0.6},
        {"dc2.energy_today", 0.5},  {"dc3.energy_today", 0},  {"dc4.energy_today", 0}, {"dc1.energy_total", 2284.3},
        {"dc2.energy_total", 2283}, {"dc3.energy_total", 0},  {"dc4.energy_total", 0},
    };
    EXPECT_EQ(Values(report), expected);
    EXPECT_EQ(*report.FindAttribute("protocol_version"), "V0.2.0.1");
    EXPECT_EQ(*report.FindAttribute("dc_firmware"), "V0.1.1.1");
    EXPECT_EQ(*report.FindAttribute("ac_firmware"), "V0.1.5.9");
    EXPECT_EQ(*report.FindAttribute("rated_power"), "600");
    EXPECT_EQ(*report.FindAttribute("mppt_count"), "2");
    EXPECT_EQ(*report.FindAttribute("phase_count"), "1");
    EXPECT_EQ(*report.FindAttribute("inverter_clock"), "2024-04-11T12:30:05");
    EXPECT_TRUE(report.skipped.empty());
}

TEST(Payload, DeyeMicroHistoric) {
    const DataReport report = Decode(LoadFrame("deyemicro_data_historic_synthetic"), "deye_micro_push");
    EXPECT_TRUE(report.historic);
    EXPECT_EQ(report.device_time_ms, 1712838300000);
    EXPECT_EQ(report.FindSample("energy_total")->value, 4567.7);
    EXPECT_EQ(report.FindSample("energy_today")->value, 1.2);
}

TEST(Payload, ZeroTotalIsLeftOutAndNamed) {
    Frame frame = LoadFrame("deyemicro_data_synthetic");
    for (std::size_t i = 37; i < 41; ++i) frame.payload[i] = 0;  // energy total, u32 LE
    const DataReport report = Decode(frame, "deye_micro_push");
    EXPECT_EQ(report.FindSample("energy_total"), nullptr);
    EXPECT_EQ(report.skipped, std::vector<std::string>{"energy_total: zero is not a valid reading"});
    EXPECT_NE(report.FindSample("energy_today"), nullptr);
}

TEST(Payload, PayloadShorterThanTheMapIsAnErrorAtEveryLength) {
    const Frame frame = LoadFrame("deyemicro_data_synthetic");
    const FieldMap map = Builtin("deye_micro_push");
    for (std::size_t size = 0; size < frame.payload.size(); ++size) {
        const auto report = DecodeDataPayload(std::span(frame.payload).first(size), map);
        ASSERT_FALSE(report) << size;
        EXPECT_EQ(report.error().code, Errc::kInvalidArgument);
    }
    EXPECT_EQ(DecodeDataPayload(std::span(frame.payload).first(36), map).error().message,
              "solarman data: payload of 36 bytes is shorter than the 37-byte push header");
    EXPECT_EQ(DecodeDataPayload(std::span(frame.payload).first(250), map).error().message,
              "solarman data: payload of 250 bytes is shorter than field map \"deye_micro_push\" needs (251)");
    // Longer payloads are fine: firmware may append.
    std::vector<std::uint8_t> longer = frame.payload;
    longer.resize(400, 0xEE);
    EXPECT_TRUE(DecodeDataPayload(longer, map));
}

TEST(Payload, OnlyInverterDataFrameTypes) {
    Frame frame = LoadFrame("deyemicro_data_synthetic");
    frame.payload[0] = kFrameTypeHandshake;
    const auto report = DecodeDataPayload(frame.payload, Builtin("deye_micro_push"));
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().message, "solarman data: frame type 0x02 is not inverter data (want 0x01 or 0x81)");
    EXPECT_FALSE(DecodeDataPayload(frame.payload, Builtin("deye_micro_modbus")));  // not a push map
}

TEST(Payload, BuiltinPushMapBySensorType) {
    EXPECT_EQ(BuiltinPushMapFor(0x02B0), "sensor_02b0_push");
    EXPECT_EQ(BuiltinPushMapFor(0x5408), "deye_micro_push");  // Hypfer's schema byte 0x08 (payload byte 1)
    EXPECT_EQ(BuiltinPushMapFor(0x270A), std::nullopt);       // Sofar: no map in the notes
    EXPECT_EQ(BuiltinPushMapFor(0x5411), std::nullopt);       // schema 0x11 hybrid: no map in the notes
}

TEST(Payload, PushHeaderAlone) {
    const auto header = DecodePushHeader(LoadFrame("tsun02b0_data").payload);
    ASSERT_TRUE(header);
    EXPECT_EQ(header->total_working_time_s, 0x3224C8BCu);
    EXPECT_EQ(header->power_on_time_s, 8044u);
    EXPECT_EQ(header->offset_time_s, 0x33E447A0u);
    EXPECT_FALSE(DecodePushHeader(std::vector<std::uint8_t>(36, 0)));
}

// V5: the values tsun-gen3-proxy's test_infos_g3p.py asserts for this hello.
TEST(LoggerInfo, HelloV5) {
    const Frame frame = LoadFrame("tsun02b0_hello");
    const auto info = DecodeLoggerInfo(frame.payload);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->frame_type, kFrameTypeHandshake);
    EXPECT_EQ(info->total_working_time_s, 53946u);
    EXPECT_EQ(info->power_on_time_s, 25u);
    EXPECT_EQ(info->offset_time_s, 0u);
    EXPECT_EQ(info->upload_interval_s, 300u);
    EXPECT_EQ(info->collect_interval_s, 60u);
    EXPECT_EQ(info->heartbeat_interval_s, 120u);
    EXPECT_EQ(info->signal_strength_pct, 100);
    EXPECT_EQ(info->logger_firmware, "LSW5BLE_17_02B0_1.05");
    EXPECT_EQ(info->mac, "40:2a:8f:4f:51:54");
    EXPECT_EQ(info->ip, "192.168.80.49");
    EXPECT_EQ(info->sensor_type, 0x02B0);
    EXPECT_EQ(info->collector_firmware, "V1.1.00.0B");
    EXPECT_EQ(info->ssid, "Allius-Home");
}

TEST(LoggerInfo, ShortHellosKeepWhatTheyHave) {
    const Frame frame = LoadFrame("tsun02b0_hello");
    EXPECT_FALSE(DecodeLoggerInfo(std::span(frame.payload).first(12)));
    const auto header_only = DecodeLoggerInfo(std::span(frame.payload).first(13));
    ASSERT_TRUE(header_only);
    EXPECT_EQ(header_only->upload_interval_s, std::nullopt);
    EXPECT_EQ(header_only->sensor_type, std::nullopt);
    const auto partial = DecodeLoggerInfo(std::span(frame.payload).first(40));
    ASSERT_TRUE(partial);
    EXPECT_EQ(partial->logger_firmware, "LSW5BLE_17_02B0_1.05");
    EXPECT_EQ(partial->sensor_type, 0x02B0);  // from the firmware name
    EXPECT_EQ(partial->mac, "");
}

TEST(LoggerInfo, SensorTypeFromFirmwareName) {
    EXPECT_EQ(SensorTypeFromFirmware("LSW5BLE_17_02B0_1.05"), 0x02B0);
    EXPECT_EQ(SensorTypeFromFirmware("MW3_16U_5406_1.57"), 0x5406);
    EXPECT_EQ(SensorTypeFromFirmware("LSW3_32_5406_SS_04"), 0x5406);
    EXPECT_EQ(SensorTypeFromFirmware("LSW3_270A"), std::nullopt);  // last group: a version, not a type
    EXPECT_EQ(SensorTypeFromFirmware(""), std::nullopt);
    EXPECT_EQ(SensorTypeFromFirmware("____"), std::nullopt);
}

}  // namespace
}  // namespace mh::ingest::solarman
