#include "ingest/solarman/frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "unit/solarman/fixtures.hpp"

namespace mh::ingest::solarman {
namespace {

using testing::Hex;
using testing::LoadHex;

// Every published frame, with the header values the protocol notes give for it.
struct Vector {
    const char* fixture;
    ControlCode control;
    std::uint8_t server_sequence;
    std::uint8_t logger_sequence;
    std::uint32_t logger_serial;
    std::size_t payload_size;
    std::uint8_t checksum;
};

const Vector kVectors[] = {
    {"generic_modbus_request_0003", ControlCode::kRequest, 0xbb, 0x00, 1782345394, 23, 0x39},        // V1
    {"generic_heartbeat", ControlCode::kHeartbeat, 0x8d, 0x69, 2718610869, 1, 0x64},                 // V2
    {"tsun02b0_heartbeat", ControlCode::kHeartbeat, 0x10, 0x84, 2070233889, 1, 0x30},                // V3
    {"tsun02b0_heartbeat_reply", ControlCode::kHeartbeatReply, 0x11, 0x84, 2070233889, 10, 0x02},    // V4
    {"tsun02b0_hello", ControlCode::kHello, 0x00, 0x01, 2070233889, 212, 0xd2},                      // V5
    {"tsun02b0_hello_reply", ControlCode::kHelloReply, 0x01, 0x01, 2070233889, 10, 0x6b},            // V6
    {"mw08_heartbeat", ControlCode::kHeartbeat, 0x00, 0x0c, 719180488, 1, 0x05},                     // V9
    {"mw08_cloud_data_reply", ControlCode::kDataReply, 0x5b, 0x48, 719180488, 10, 0x06},             // V9
    {"generic_modbus_request_00aa", ControlCode::kRequest, 0x97, 0x00, 2385267882, 23, 0x32},        // V11
    {"generic_modbus_reply_00aa", ControlCode::kRequestReply, 0x97, 0x6c, 2385267882, 21, 0xed},     // V11
    {"generic_heartbeat_stray", ControlCode::kHeartbeat, 0x97, 0x6d, 2385267882, 1, 0x0c},           // V11
    {"generic_status_wrong_serial", ControlCode::kRequestReply, 0x00, 0x04, 4068039735, 16, 0x08},   // V12
    {"generic_status_no_inverter", ControlCode::kRequestReply, 0x0b, 0x1e, 2713943268, 16, 0xf8},    // V12
    {"deye5406_modbus_request_serial", ControlCode::kRequest, 0x01, 0x00, 3168930341, 23, 0x46},     // V13
    {"deye5406_modbus_reply_serial", ControlCode::kRequestReply, 0x01, 0x0d, 3168930341, 31, 0xef},  // V13
    {"deye5406_heartbeat", ControlCode::kHeartbeat, 0x04, 0x6f, 3168930341, 1, 0x98},                // V13
    {"tsun02b0_data", ControlCode::kData, 0x01, 0x02, 2070233889, 409, 0},                           // section 3
    {"tsun02b0_data_historic", ControlCode::kData, 0x02, 0x03, 2070233889, 409, 0},
    {"deyemicro_data_synthetic", ControlCode::kData, 0x11, 0x22, 4142050081, 251, 0},
};

class PublishedFrame : public ::testing::TestWithParam<Vector> {};

TEST_P(PublishedFrame, DecodesToTheDocumentedHeaderAndReEncodesByteForByte) {
    const Vector& v = GetParam();
    const std::vector<std::uint8_t> bytes = LoadHex(v.fixture);
    const auto frame = DecodeFrame(bytes);
    ASSERT_TRUE(frame) << frame.error().message;
    EXPECT_EQ(frame->control, v.control) << FormatControlCode(frame->control);
    EXPECT_EQ(frame->server_sequence, v.server_sequence);
    EXPECT_EQ(frame->logger_sequence, v.logger_sequence);
    EXPECT_EQ(frame->logger_serial, v.logger_serial);
    EXPECT_EQ(frame->payload.size(), v.payload_size);
    if (v.checksum != 0) {
        EXPECT_EQ(bytes[bytes.size() - 2], v.checksum);
    }
    EXPECT_EQ(EncodeFrame(*frame), bytes);
}

TEST_P(PublishedFrame, EveryTruncationIsReportedAsTruncated) {
    const std::vector<std::uint8_t> bytes = LoadHex(GetParam().fixture);
    for (std::size_t size = 0; size < bytes.size(); ++size) {
        const std::span<const std::uint8_t> prefix(bytes.data(), size);
        std::size_t frame_size = 0;
        EXPECT_EQ(InspectFrame(prefix, frame_size), FrameFault::kTruncated) << "size " << size;
        const auto frame = DecodeFrame(prefix);
        ASSERT_FALSE(frame) << "size " << size;
        EXPECT_EQ(frame.error().code, Errc::kInvalidArgument);
        EXPECT_TRUE(frame.error().message.starts_with("solarman frame: truncated")) << frame.error().message;
    }
}

TEST_P(PublishedFrame, EverySingleByteChangeOfTheBodyIsCaught) {
    // A changed byte between the control code and the checksum must fail the checksum; one in the header must
    // fail one of the structural checks (or, for the length, truncation / end byte / checksum).
    const std::vector<std::uint8_t> bytes = LoadHex(GetParam().fixture);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        std::vector<std::uint8_t> broken = bytes;
        broken[i] ^= 0x01;
        EXPECT_FALSE(DecodeFrame(broken)) << "byte " << i;
    }
}

INSTANTIATE_TEST_SUITE_P(Vectors, PublishedFrame, ::testing::ValuesIn(kVectors),
                         [](const auto& param_info) { return std::string(param_info.param.fixture); });

// V2 as the notes print it, checked field by field.
TEST(Frame, HeartbeatV2Fields) {
    const auto frame = DecodeFrame(Hex("a5 01 00 10 47 8d 69 b5 b5 0a a2 00 64 15"));
    ASSERT_TRUE(frame) << frame.error().message;
    EXPECT_EQ(frame->control, ControlCode::kHeartbeat);
    EXPECT_STREQ(ControlCodeName(frame->control), "heartbeat");
    EXPECT_EQ(frame->logger_serial, 2718610869u);
    EXPECT_EQ(frame->payload, std::vector<std::uint8_t>{0x00});
}

class BrokenFrame : public ::testing::Test {
  protected:
    std::vector<std::uint8_t> good_ = LoadHex("tsun02b0_heartbeat");  // a5 01 00 10 47 10 84 21 43 65 7b 00 30 15

    static std::string Message(const std::vector<std::uint8_t>& bytes) {
        const auto frame = DecodeFrame(bytes);
        EXPECT_FALSE(frame);
        return frame ? "" : frame.error().message;
    }
    static FrameFault Fault(const std::vector<std::uint8_t>& bytes) {
        std::size_t frame_size = 0;
        return InspectFrame(bytes, frame_size);
    }
};

TEST_F(BrokenFrame, BadChecksum) {
    good_[12] = 0x31;
    EXPECT_EQ(Fault(good_), FrameFault::kBadChecksum);
    EXPECT_EQ(Message(good_), "solarman frame: bad checksum 0x31 (computed 0x30)");
}

TEST_F(BrokenFrame, BadEndByte) {
    good_[13] = 0x16;
    EXPECT_EQ(Fault(good_), FrameFault::kBadEnd);
    EXPECT_EQ(Message(good_), "solarman frame: bad end byte 0x16 (want 0x15)");
}

TEST_F(BrokenFrame, WrongStartByte) {
    good_[0] = 0xA4;
    EXPECT_EQ(Fault(good_), FrameFault::kBadStart);
    EXPECT_EQ(Message(good_), "solarman frame: bad start byte 0xA4 (want 0xA5)");
    // Judged from the first byte alone: a stream reader need not wait.
    std::size_t frame_size = 0;
    EXPECT_EQ(InspectFrame(std::span(good_).first(1), frame_size), FrameFault::kBadStart);
}

TEST_F(BrokenFrame, AbsurdLengthIsJudgedFromThreeBytes) {
    const std::vector<std::uint8_t> head = {0xA5, 0x01, 0x04};  // 1025 > kMaxPayloadSize
    EXPECT_EQ(Fault(head), FrameFault::kAbsurdLength);
    EXPECT_EQ(Message(head), "solarman frame: absurd length 1025 (at most 1024)");
    EXPECT_EQ(Fault({0xA5, 0xFF, 0xFF, 0x10, 0x42}), FrameFault::kAbsurdLength);
    // The cap itself is allowed: such a frame is merely truncated.
    EXPECT_EQ(Fault({0xA5, 0x00, 0x04, 0x10}), FrameFault::kTruncated);
}

TEST_F(BrokenFrame, ControlCodeLowByteMustBe0x10) {
    good_[3] = 0x11;
    EXPECT_EQ(Fault(good_), FrameFault::kBadControlCode);
    EXPECT_EQ(Message(good_), "solarman frame: bad control code byte 0x11 (want 0x10)");
}

TEST_F(BrokenFrame, LengthTooShortForTheBytesGivesBadEndOrTrailing) {
    std::vector<std::uint8_t> bytes = good_;
    bytes[1] = 0x00;  // claims an empty payload: byte 12 (0x30) is then where the end byte should be
    EXPECT_EQ(Fault(bytes), FrameFault::kBadEnd);
}

TEST_F(BrokenFrame, TrailingBytesAreRejectedByDecodeButNotByInspect) {
    std::vector<std::uint8_t> bytes = good_;
    bytes.push_back(0xA5);
    EXPECT_EQ(Fault(bytes), FrameFault::kNone);
    EXPECT_EQ(Message(bytes), "solarman frame: trailing bytes: 1 after a 14-byte frame");
}

TEST_F(BrokenFrame, DescribeIsSafeForArgumentsThatDoNotFit) {
    for (const FrameFault fault :
         {FrameFault::kNone, FrameFault::kTruncated, FrameFault::kBadStart, FrameFault::kAbsurdLength,
          FrameFault::kBadControlCode, FrameFault::kBadEnd, FrameFault::kBadChecksum, FrameFault::kTrailingBytes}) {
        EXPECT_FALSE(DescribeFrameFault(fault, {}, 5000).message.empty());
        EXPECT_TRUE(DescribeFrameFault(fault, good_, 0).message.starts_with("solarman frame: "));
    }
}

TEST(Frame, EncodeWritesLengthChecksumAndEnd) {
    Frame frame;
    frame.control = ControlCode::kHeartbeat;
    frame.server_sequence = 0x10;
    frame.logger_sequence = 0x84;
    frame.logger_serial = 2070233889;
    frame.payload = {0x00};
    EXPECT_EQ(EncodeFrame(frame), LoadHex("tsun02b0_heartbeat"));

    frame.payload.assign(kMaxPayloadSize, 0xA5);
    const auto bytes = EncodeFrame(frame);
    ASSERT_EQ(bytes.size(), kMaxFrameSize);
    const auto back = DecodeFrame(bytes);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, frame);

    frame.payload.push_back(0);
    EXPECT_THROW((void)EncodeFrame(frame), std::length_error);
}

TEST(Frame, ControlCodeNamesAndUnknownCodes) {
    EXPECT_STREQ(ControlCodeName(ControlCode::kHello), "hello");
    EXPECT_STREQ(ControlCodeName(ControlCode::kData), "data");
    EXPECT_STREQ(ControlCodeName(ControlCode::kInfo), "info");
    EXPECT_STREQ(ControlCodeName(ControlCode::kHelloEnd), "hello_end");
    EXPECT_STREQ(ControlCodeName(ControlCode::kRequestInterim), "request_interim");
    EXPECT_STREQ(ControlCodeName(static_cast<ControlCode>(0x5110)), "unknown");
    EXPECT_EQ(FormatControlCode(ControlCode::kData), "0x4210");
    EXPECT_EQ(MessageType(ControlCode::kHelloEnd), 0x48);
}

}  // namespace
}  // namespace mh::ingest::solarman
