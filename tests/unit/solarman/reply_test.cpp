#include "ingest/solarman/reply.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "unit/solarman/fixtures.hpp"

namespace mh::ingest::solarman {
namespace {

using testing::Hex;
using testing::LoadFrame;
using testing::LoadHex;
using testing::UnixSeconds;

constexpr std::int64_t kTsunTestTime = 1712861197;  // tsun-gen3-proxy's fixed test timestamp

std::vector<std::uint8_t> ReplyBytes(const Frame& request, Timestamp now, std::uint32_t trailer) {
    const auto reply = BuildReply(request, now, ReplyOptions{trailer});
    EXPECT_TRUE(reply) << (reply ? "" : reply.error().message);
    return reply ? EncodeFrame(*reply) : std::vector<std::uint8_t>{};
}

// V3 -> V4: heartbeat seq 10 84 -> reply 11 84, frame type 00, status 01, time 0x6618300D, trailer 60.
TEST(Reply, HeartbeatV3GivesExactlyV4) {
    EXPECT_EQ(ReplyBytes(LoadFrame("tsun02b0_heartbeat"), UnixSeconds(kTsunTestTime), 60),
              LoadHex("tsun02b0_heartbeat_reply"));
}

// V5 -> V6: hello seq 00 01 -> 01 01, frame type 02 copied.
TEST(Reply, HelloV5GivesExactlyV6) {
    EXPECT_EQ(ReplyBytes(LoadFrame("tsun02b0_hello"), UnixSeconds(kTsunTestTime), 60), LoadHex("tsun02b0_hello_reply"));
}

// Data seq 01 02 -> 02 02 (notes 2.3), frame type 01; historic 02 03 -> 03 03 with frame type 81.
TEST(Reply, DataAndHistoricDataAsTsunAnswersThem) {
    EXPECT_EQ(ReplyBytes(LoadFrame("tsun02b0_data"), UnixSeconds(kTsunTestTime), 60), LoadHex("tsun02b0_data_reply"));
    EXPECT_EQ(ReplyBytes(LoadFrame("tsun02b0_data_historic"), UnixSeconds(kTsunTestTime), 60),
              LoadHex("tsun02b0_data_historic_reply"));
}

// V9: the heartbeat gets a 0x1710 with byte 5 + 1; the cloud's trailer 120 and time 1632149206 are encoded
// like the cloud's own reply.
TEST(Reply, HeartbeatV9WithTheCloudsTrailer) {
    const Frame heartbeat = LoadFrame("mw08_heartbeat");
    EXPECT_EQ(ReplyBytes(heartbeat, UnixSeconds(1632149206), 120),
              Hex("a5 0a 00 10 17 01 0c c8 d2 dd 2a 00 01 d6 9e 48 61 78 00 00 00 75 15"));
    const Frame cloud = LoadFrame("mw08_cloud_data_reply");
    ASSERT_EQ(cloud.payload.size(), kReplyPayloadSize);
    EXPECT_EQ(cloud.payload, (std::vector<std::uint8_t>{0x00, 0x01, 0xd6, 0x9e, 0x48, 0x61, 0x78, 0, 0, 0}));
}

// V2 (pysolarmanv5 style, trailer 0), checked field by field.
TEST(Reply, FieldsOfAHeartbeatReply) {
    const auto reply = BuildReply(LoadFrame("generic_heartbeat"), FromMillis(1'700'000'000'999));
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->control, ControlCode::kHeartbeatReply);
    EXPECT_EQ(reply->server_sequence, 0x8e);
    EXPECT_EQ(reply->logger_sequence, 0x69);
    EXPECT_EQ(reply->logger_serial, 2718610869u);
    // 1700000000 = 0x6553F100, floored from .999; trailer 0 by default.
    EXPECT_EQ(reply->payload, (std::vector<std::uint8_t>{0x00, 0x01, 0x00, 0xf1, 0x53, 0x65, 0, 0, 0, 0}));
}

TEST(Reply, EveryLoggerMessageIsAcknowledged) {
    const struct {
        ControlCode request;
        ControlCode reply;
    } cases[] = {
        {ControlCode::kHello, ControlCode::kHelloReply},       {ControlCode::kData, ControlCode::kDataReply},
        {ControlCode::kInfo, ControlCode::kInfoReply},         {ControlCode::kHeartbeat, ControlCode::kHeartbeatReply},
        {ControlCode::kHelloEnd, ControlCode::kHelloEndReply},
    };
    for (const auto& c : cases) {
        Frame request;
        request.control = c.request;
        request.payload = {0x81, 0x7a};
        const auto reply = BuildReply(request, UnixSeconds(1));
        ASSERT_TRUE(reply) << FormatControlCode(c.request);
        EXPECT_EQ(reply->control, c.reply) << FormatControlCode(reply->control);
        EXPECT_EQ(reply->payload[0], 0x81);
    }
}

TEST(Reply, UnknownMessageTypesAreAcknowledgedToo) {
    // tsun-gen3-proxy's unknown_msg uses type 0x51: the reply type is 0x51 - 0x30.
    Frame request;
    request.control = static_cast<ControlCode>(0x5110);
    request.server_sequence = 0xFF;  // wraps to 0x00
    request.logger_sequence = 0x84;
    const auto reply = BuildReply(request, UnixSeconds(0));
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(static_cast<std::uint16_t>(reply->control), 0x2110);
    EXPECT_EQ(reply->server_sequence, 0x00);
    EXPECT_EQ(reply->logger_sequence, 0x84);
    EXPECT_EQ(reply->payload[0], 0x00);  // an empty payload has no frame type: 0
}

TEST(Reply, RepliesAndRequestsAreNotAcknowledged) {
    for (const ControlCode code :
         {ControlCode::kRequest, ControlCode::kRequestReply, ControlCode::kRequestInterim, ControlCode::kHeartbeatReply,
          ControlCode::kDataReply, static_cast<ControlCode>(0x3F10)}) {
        EXPECT_FALSE(NeedsReply(code)) << FormatControlCode(code);
        Frame request;
        request.control = code;
        const auto reply = BuildReply(request, UnixSeconds(0));
        ASSERT_FALSE(reply);
        EXPECT_EQ(reply.error().code, Errc::kInvalidArgument);
        EXPECT_NE(reply.error().message.find("is not acknowledged"), std::string::npos);
    }
    EXPECT_TRUE(NeedsReply(static_cast<ControlCode>(0xFF10)));
}

TEST(Reply, TimeIsClampedToTheU32Range) {
    Frame request = LoadFrame("generic_heartbeat");
    const auto before_epoch = BuildReply(request, FromMillis(-1));
    ASSERT_TRUE(before_epoch);
    EXPECT_EQ(std::vector<std::uint8_t>(before_epoch->payload.begin() + 2, before_epoch->payload.begin() + 6),
              (std::vector<std::uint8_t>{0, 0, 0, 0}));
    const auto far_future = BuildReply(request, UnixSeconds(std::int64_t{1} << 33));
    ASSERT_TRUE(far_future);
    EXPECT_EQ(std::vector<std::uint8_t>(far_future->payload.begin() + 2, far_future->payload.begin() + 6),
              (std::vector<std::uint8_t>{0xff, 0xff, 0xff, 0xff}));
}

}  // namespace
}  // namespace mh::ingest::solarman
