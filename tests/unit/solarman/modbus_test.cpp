#include "ingest/solarman/modbus.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "unit/solarman/fixtures.hpp"

namespace mh::ingest::solarman {
namespace {

using testing::Hex;
using testing::LoadFrame;
using testing::LoadHex;

std::vector<std::uint8_t> Request(std::uint32_t serial, std::uint8_t sequence, std::uint16_t start,
                                  std::uint16_t count) {
    auto bytes = EncodeModbusRead(serial, sequence, 1, start, count);
    EXPECT_TRUE(bytes) << (bytes ? "" : bytes.error().message);
    return bytes ? *bytes : std::vector<std::uint8_t>{};
}

// A reply frame around `rtu`, with the 14-byte header block of V11's reply.
Frame ReplyWith(const std::vector<std::uint8_t>& rtu) {
    Frame frame = LoadFrame("generic_modbus_reply_00aa");
    frame.payload.resize(kReplyHeaderSize);
    frame.payload.insert(frame.payload.end(), rtu.begin(), rtu.end());
    return frame;
}

TEST(Modbus, Crc16) {
    const std::string check = "123456789";
    EXPECT_EQ(Crc16Modbus({reinterpret_cast<const std::uint8_t*>(check.data()), check.size()}), 0x4B37);
    EXPECT_EQ(Crc16Modbus(Hex("01 03 00 03 00 05")), 0xC975);  // V1: sent as 75 c9
    EXPECT_EQ(Crc16Modbus(Hex("01 03 00 aa 00 01")), 0x2AA4);  // V11
    EXPECT_EQ(Crc16Modbus(Hex("01 03 02 01 0a")), 0xD339);     // V11 reply
}

TEST(Modbus, RequestsAreByteExactV1V11V13) {
    EXPECT_EQ(Request(1782345394, 0xbb, 0x0003, 5), LoadHex("generic_modbus_request_0003"));
    EXPECT_EQ(Request(2385267882, 0x97, 0x00AA, 1), LoadHex("generic_modbus_request_00aa"));
    EXPECT_EQ(Request(3168930341, 0x01, 0x0003, 6), LoadHex("deye5406_modbus_request_serial"));
}

TEST(Modbus, RequestArgumentsAreChecked) {
    EXPECT_EQ(EncodeModbusRead(1, 0, 1, 0, 0).error().message, "solarman modbus request: count 0 is outside 1..125");
    EXPECT_FALSE(EncodeModbusRead(1, 0, 1, 0, 126));
    EXPECT_TRUE(EncodeModbusRead(1, 0, 1, 0xFFFF, 125));
    EXPECT_TRUE(EncodeModbusRead(1, 0, 1, 0, 1, kReadInputRegisters));
    EXPECT_EQ(EncodeModbusRead(1, 0, 1, 0, 1, 0x06).error().message,
              "solarman modbus request: function 0x06 is not a register read");
}

// V11: register 0x00AA = 266; the stray heartbeat carries the same byte 5 but is no reply.
TEST(Modbus, ReplyV11) {
    const auto reply = DecodeModbusReply(LoadFrame("generic_modbus_reply_00aa"));
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->kind, ModbusReplyKind::kRegisters);
    EXPECT_EQ(reply->sequence, 0x97);
    EXPECT_EQ(reply->logger_serial, 2385267882u);
    EXPECT_EQ(reply->slave, 1);
    EXPECT_EQ(reply->function, kReadHoldingRegisters);
    EXPECT_EQ(reply->registers, std::vector<std::uint16_t>{266});
    EXPECT_FALSE(reply->double_crc);

    const Frame stray = LoadFrame("generic_heartbeat_stray");
    EXPECT_EQ(stray.server_sequence, reply->sequence);
    const auto not_reply = DecodeModbusReply(stray);
    ASSERT_FALSE(not_reply);
    EXPECT_EQ(not_reply.error().message,
              "solarman modbus reply: control code 0x4710 (heartbeat) is not a request reply");
}

// V13: registers 0x03..0x08 hold the inverter serial "2510234578" as ASCII.
TEST(Modbus, ReplyV13SerialThroughTheRegisterMap) {
    const auto reply = DecodeModbusReply(LoadFrame("deye5406_modbus_reply_serial"));
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->registers, (std::vector<std::uint16_t>{0x3235, 0x3130, 0x3233, 0x3435, 0x3738, 0x0000}));
    const RegisterBlock block{0x03, reply->registers};
    const auto report = DecodeRegisters(*BuiltinFieldMap("deye_micro_modbus"), std::span(&block, 1));
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->inverter_serial, "2510234578");
    EXPECT_EQ(*report->FindAttribute("inverter_serial"), "2510234578");
    EXPECT_TRUE(report->samples.empty());
    ASSERT_FALSE(report->skipped.empty());
    EXPECT_EQ(report->skipped.front(), "running_status: not read");
}

// V12: status replies.
TEST(Modbus, StatusRepliesV12) {
    const auto wrong = DecodeModbusReply(LoadFrame("generic_status_wrong_serial"));
    ASSERT_TRUE(wrong) << wrong.error().message;
    EXPECT_EQ(wrong->kind, ModbusReplyKind::kWrongSerial);
    EXPECT_EQ(wrong->logger_serial, 4068039735u);  // the real serial, usable for discovery
    EXPECT_TRUE(wrong->registers.empty());
    const auto silent = DecodeModbusReply(LoadFrame("generic_status_no_inverter"));
    ASSERT_TRUE(silent) << silent.error().message;
    EXPECT_EQ(silent->kind, ModbusReplyKind::kNoInverterAnswer);
    EXPECT_EQ(DecodeModbusReply(ReplyWith({0x07, 0x00})).error().message,
              "solarman modbus reply: unknown status 0x07 0x00");
}

TEST(Modbus, DoubleCrcIsTolerated) {
    const auto reply = DecodeModbusReply(ReplyWith(Hex("01 03 02 01 0a 39 d3 00 00")));
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_TRUE(reply->double_crc);
    EXPECT_EQ(reply->registers, std::vector<std::uint16_t>{266});
    // The re-encoded frame still passes the V5 checks: the quirk lives inside a valid frame.
    EXPECT_TRUE(DecodeFrame(EncodeFrame(ReplyWith(Hex("01 03 02 01 0a 39 d3 00 00")))));
}

TEST(Modbus, BrokenRtuFrames) {
    EXPECT_EQ(DecodeModbusReply(ReplyWith(Hex("01 03 02 01 0b 39 d3"))).error().message,
              "solarman modbus reply: RTU CRC 0xD339 does not match computed 0x13F8");
    EXPECT_EQ(DecodeModbusReply(ReplyWith(Hex("01 03 04 01 0a 39 d3"))).error().message,
              "solarman modbus reply: RTU frame of 7 bytes, the byte count implies 9");
    EXPECT_EQ(DecodeModbusReply(ReplyWith(Hex("01 03 03 01 0a 39 d3"))).error().message,
              "solarman modbus reply: odd byte count 3");
    EXPECT_EQ(DecodeModbusReply(ReplyWith(Hex("01 06 00 01 00 03 98 0b"))).error().message,
              "solarman modbus reply: unsupported function 0x06");
    EXPECT_EQ(DecodeModbusReply(ReplyWith(Hex("01 03 00"))).error().message,
              "solarman modbus reply: RTU frame of 3 bytes is too short");
    Frame empty = LoadFrame("generic_modbus_reply_00aa");
    empty.payload.resize(15);
    EXPECT_EQ(DecodeModbusReply(empty).error().message, "solarman modbus reply: payload of 15 bytes is too short");
}

TEST(Modbus, ExceptionAndInterimReplies) {
    const auto exception = DecodeModbusReply(ReplyWith(Hex("01 83 02 c0 f1")));
    ASSERT_TRUE(exception) << exception.error().message;
    EXPECT_EQ(exception->kind, ModbusReplyKind::kException);
    EXPECT_EQ(exception->function, kReadHoldingRegisters);
    EXPECT_EQ(exception->exception_code, 0x02);
    Frame interim = LoadFrame("generic_modbus_reply_00aa");
    interim.control = ControlCode::kRequestInterim;
    const auto waiting = DecodeModbusReply(interim);
    ASSERT_TRUE(waiting);
    EXPECT_EQ(waiting->kind, ModbusReplyKind::kInterim);
}

// A full pull of a Deye micro: the planned reads, registers filled from the notes' table 2.9.
TEST(Modbus, DeyeMicroRegisterMapEndToEnd) {
    const FieldMap map = *BuiltinFieldMap("deye_micro_modbus");
    const std::vector<RegisterRange> reads = PlanRegisterReads(map);
    EXPECT_EQ(reads, (std::vector<RegisterRange>{{0x03, 5}, {0x3B, 32}, {0x6D, 8}}));

    std::map<std::uint16_t, std::uint16_t> regs = {
        {0x03, 0x3235},
        {0x04, 0x3130},
        {0x05, 0x3233},
        {0x06, 0x3435},
        {0x07, 0x3738},  // "2510234578"
        {0x3B, 2},       // running status: normal
        {0x3C, 34},      // energy today 3.4 kWh
        {0x3E, 615},     // uptime minutes
        {0x3F, 0x2345},
        {0x40, 0x0001},  // energy total 0x12345 = 74565 -> 7456.5 kWh
        {0x41, 17},
        {0x42, 16},  // PV1/PV2 today
        {0x45, 0x86A0},
        {0x46, 0x0001},  // PV1 total 100000 -> 10000.0
        {0x49, 2317},    // grid 231.7 V
        {0x4C, 25},      // 2.5 A
        {0x4F, 5001},    // 50.01 Hz
        {0x56, 5794},
        {0x57, 0},                                 // AC power 579.4 W
        {0x5A, static_cast<std::uint16_t>(-250)},  // -2.5 degC (s16, 0.01)
        {0x6D, 331},
        {0x6E, 92},  // PV1 33.1 V 9.2 A
        {0x6F, 329},
        {0x70, 88},  // PV2 32.9 V 8.8 A
    };
    std::vector<RegisterBlock> blocks;
    for (const RegisterRange& range : reads) {
        RegisterBlock& block = blocks.emplace_back();
        block.start = range.start;
        for (std::uint16_t r = range.start; r < range.start + range.count; ++r) {
            block.values.push_back(regs.contains(r) ? regs[r] : 0);
        }
    }
    const auto report = DecodeRegisters(map, blocks);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->inverter_serial, "2510234578");
    EXPECT_EQ(*report->FindAttribute("running_status"), "2");
    EXPECT_EQ(*report->FindAttribute("uptime"), "615");
    EXPECT_EQ(report->FindSample("energy_today")->value, 3.4);
    EXPECT_EQ(report->FindSample("energy_total")->value, 7456.5);
    EXPECT_EQ(report->FindSample("dc1.energy_total")->value, 10000.0);
    EXPECT_EQ(report->FindSample("grid_voltage")->value, 231.7);
    EXPECT_EQ(report->FindSample("grid_current")->value, 2.5);
    EXPECT_EQ(report->FindSample("grid_frequency")->value, 50.01);
    EXPECT_EQ(report->FindSample("power_ac")->value, 579.4);
    EXPECT_EQ(report->FindSample("temperature")->value, -2.5);
    EXPECT_EQ(report->FindSample("dc1.power")->value, 304.52);
    EXPECT_EQ(report->FindSample("dc2.power")->value, 289.52);
    EXPECT_EQ(report->FindSample("dc3.power")->value, 0.0);
    EXPECT_TRUE(report->skipped.empty()) << report->skipped.front();
    EXPECT_EQ(report->device_time_ms, std::nullopt);
    EXPECT_FALSE(DecodeRegisters(*BuiltinFieldMap("deye_micro_push"), blocks));
}

TEST(Modbus, HybridBatteryTemperatureAndSignedValues) {
    const FieldMap map = *BuiltinFieldMap("deye_sg04lp3_modbus");
    std::vector<std::uint16_t> values(0x30, 0);
    values[0x24A - 0x240] = 1253;                               // (1253 - 1000) / 10 = 25.3 degC
    values[0x24B - 0x240] = 5312;                               // 53.12 V
    values[0x24C - 0x240] = 87;                                 // 87 %
    values[0x24E - 0x240] = static_cast<std::uint16_t>(-1500);  // -1500 W
    values[0x24F - 0x240] = static_cast<std::uint16_t>(-2825);  // -28.25 A
    const RegisterBlock block{0x240, values};
    const auto report = DecodeRegisters(map, std::span(&block, 1));
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->FindSample("battery.temperature")->value, 25.3);
    EXPECT_EQ(report->FindSample("battery.voltage")->value, 53.12);
    EXPECT_EQ(report->FindSample("battery.soc")->value, 87);
    EXPECT_EQ(report->FindSample("battery.power")->value, -1500);
    EXPECT_EQ(report->FindSample("battery.current")->value, -28.25);
    EXPECT_EQ(report->FindSample("grid_l2_voltage"), nullptr);  // 0 on the wire: not present
}

TEST(Modbus, PlanRespectsTheCountLimit) {
    const FieldMap map = *BuiltinFieldMap("deye_sg04lp3_modbus");
    for (const std::uint16_t max_count : {std::uint16_t{2}, std::uint16_t{10}, std::uint16_t{125}}) {
        const auto reads = PlanRegisterReads(map, max_count, 0);
        ASSERT_FALSE(reads.empty());
        std::vector<RegisterBlock> blocks;
        for (const RegisterRange& r : reads) {
            EXPECT_LE(r.count, max_count);
            blocks.push_back({r.start, std::vector<std::uint16_t>(r.count, 1)});
        }
        const auto report = DecodeRegisters(map, blocks);
        ASSERT_TRUE(report);
        EXPECT_TRUE(report->skipped.empty()) << max_count << ": " << report->skipped.front();
    }
}

}  // namespace
}  // namespace mh::ingest::solarman
