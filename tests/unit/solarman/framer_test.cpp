#include "ingest/solarman/framer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "unit/solarman/fixtures.hpp"

namespace mh::ingest::solarman {
namespace {

using testing::Concat;
using testing::LoadHex;
using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kBuffer = 4096;

// Feeds `chunks` one after the other, draining after each; returns the frames, and counts errors.
struct Outcome {
    std::vector<Bytes> frames;
    std::vector<std::string> errors;
};

Outcome Drive(Framer& framer, const std::vector<Bytes>& chunks) {
    Outcome out;
    for (const Bytes& chunk : chunks) {
        if (Status fed = framer.Feed(chunk); !fed) {
            out.errors.push_back(fed.error().message);
            continue;
        }
        for (;;) {
            auto next = framer.Next();
            if (!next) {
                out.errors.push_back(next.error().message);
                continue;  // the buffer is empty now; Next() will say "need more"
            }
            if (!next->has_value()) break;
            out.frames.push_back(**next);
        }
    }
    return out;
}

// A session as a logger sends it: hello, data, a heartbeat, a stray heartbeat glued to a Modbus reply, the
// 0x02B0 data frame and a Deye data frame.
std::vector<Bytes> Session() {
    return {LoadHex("tsun02b0_hello"),          LoadHex("tsun02b0_heartbeat"),
            LoadHex("generic_heartbeat_stray"), LoadHex("generic_modbus_reply_00aa"),
            LoadHex("tsun02b0_data"),           LoadHex("deyemicro_data_synthetic"),
            LoadHex("mw08_heartbeat")};
}

TEST(Framer, SplitAtEveryOffsetGivesTheSameFrames) {
    const std::vector<Bytes> frames = Session();
    Bytes stream;
    for (const Bytes& f : frames) stream.insert(stream.end(), f.begin(), f.end());
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        Framer framer(kBuffer);
        const Outcome out = Drive(framer, {Bytes(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(cut)),
                                           Bytes(stream.begin() + static_cast<std::ptrdiff_t>(cut), stream.end())});
        ASSERT_TRUE(out.errors.empty()) << "cut " << cut << ": " << out.errors.front();
        ASSERT_EQ(out.frames, frames) << "cut " << cut;
        EXPECT_EQ(framer.buffered(), 0u);
    }
}

TEST(Framer, SplitAtEveryPairOfOffsetsOfAShortStream) {
    const std::vector<Bytes> frames = {LoadHex("tsun02b0_heartbeat"), LoadHex("generic_heartbeat_stray"),
                                       LoadHex("generic_modbus_reply_00aa"), LoadHex("mw08_heartbeat")};
    Bytes stream;
    for (const Bytes& f : frames) stream.insert(stream.end(), f.begin(), f.end());
    const auto at = [&](std::size_t i) { return stream.begin() + static_cast<std::ptrdiff_t>(i); };
    for (std::size_t a = 0; a <= stream.size(); ++a) {
        for (std::size_t b = a; b <= stream.size(); ++b) {
            Framer framer(kBuffer);
            const Outcome out =
                Drive(framer, {Bytes(stream.begin(), at(a)), Bytes(at(a), at(b)), Bytes(at(b), stream.end())});
            ASSERT_TRUE(out.errors.empty()) << a << "," << b;
            ASSERT_EQ(out.frames, frames) << a << "," << b;
        }
    }
}

TEST(Framer, ByteByByteAndRandomChunks) {
    const std::vector<Bytes> frames = Session();
    Bytes stream;
    for (const Bytes& f : frames) stream.insert(stream.end(), f.begin(), f.end());
    {
        std::vector<Bytes> single;
        for (const std::uint8_t byte : stream) single.push_back({byte});
        Framer framer(kBuffer);
        const Outcome out = Drive(framer, single);
        EXPECT_TRUE(out.errors.empty());
        EXPECT_EQ(out.frames, frames);
    }
    std::mt19937 rng(7);
    for (int round = 0; round < 200; ++round) {
        std::vector<Bytes> chunks;
        for (std::size_t pos = 0; pos < stream.size();) {
            const std::size_t n = std::min<std::size_t>(stream.size() - pos, 1 + rng() % 600);
            chunks.emplace_back(stream.begin() + static_cast<std::ptrdiff_t>(pos),
                                stream.begin() + static_cast<std::ptrdiff_t>(pos + n));
            pos += n;
        }
        Framer framer(kBuffer);
        const Outcome out = Drive(framer, chunks);
        ASSERT_TRUE(out.errors.empty()) << "round " << round;
        ASSERT_EQ(out.frames, frames) << "round " << round;
    }
}

TEST(Framer, SeveralFramesInOneReadIncludingAStrayHeartbeatGluedToAReply) {
    // V11: the logger's spontaneous heartbeat arrived between the request and the reply, in the same read.
    Framer framer(kBuffer);
    const Outcome out =
        Drive(framer, {Concat({LoadHex("generic_heartbeat_stray"), LoadHex("generic_modbus_reply_00aa")})});
    ASSERT_TRUE(out.errors.empty());
    ASSERT_EQ(out.frames.size(), 2u);
    EXPECT_EQ(DecodeFrame(out.frames[0])->control, ControlCode::kHeartbeat);
    EXPECT_EQ(DecodeFrame(out.frames[1])->control, ControlCode::kRequestReply);
}

TEST(Framer, GarbageInItsOwnReadIsReportedAndTheStreamRecovers) {
    Framer framer(kBuffer);
    const Outcome out = Drive(framer, {LoadHex("tsun02b0_heartbeat"),
                                       {'G', 'E', 'T', ' ', '/'},
                                       LoadHex("tsun02b0_hello"),
                                       {0xA5, 0xFF, 0xFF},
                                       LoadHex("mw08_heartbeat")});
    ASSERT_EQ(out.errors.size(), 2u);
    EXPECT_EQ(out.errors[0], "solarman frame: bad start byte 0x47 (want 0xA5); dropped 5 buffered bytes");
    EXPECT_EQ(out.errors[1], "solarman frame: absurd length 65535 (at most 1024); dropped 3 buffered bytes");
    EXPECT_EQ(out.frames, (std::vector<Bytes>{LoadHex("tsun02b0_heartbeat"), LoadHex("tsun02b0_hello"),
                                              LoadHex("mw08_heartbeat")}));
}

TEST(Framer, GarbageGluedToFramesDropsTheWholeBuffer) {
    // The documented policy: no hunting for 0xA5 after garbage; what was buffered with it is gone.
    Framer framer(kBuffer);
    const Outcome out = Drive(framer, {Concat({LoadHex("tsun02b0_heartbeat"), {0x00, 0x01}, LoadHex("mw08_heartbeat")}),
                                       LoadHex("generic_heartbeat")});
    ASSERT_EQ(out.errors.size(), 1u);
    EXPECT_TRUE(out.errors[0].starts_with("solarman frame: bad start byte 0x00")) << out.errors[0];
    EXPECT_EQ(out.frames, (std::vector<Bytes>{LoadHex("tsun02b0_heartbeat"), LoadHex("generic_heartbeat")}));
}

TEST(Framer, BadChecksumAndBadEndAreReportedOnceTheFrameIsComplete) {
    Bytes bad_sum = LoadHex("tsun02b0_heartbeat");
    bad_sum[12] ^= 0xFF;
    Bytes bad_end = LoadHex("tsun02b0_heartbeat");
    bad_end[13] = 0x00;
    Framer framer(kBuffer);
    ASSERT_TRUE(framer.Feed(std::span(bad_sum).first(13)));
    auto next = framer.Next();
    ASSERT_TRUE(next);
    EXPECT_FALSE(next->has_value());  // still incomplete: not judged yet
    const Outcome out = Drive(framer, {std::vector<std::uint8_t>(bad_sum.begin() + 13, bad_sum.end()), bad_end});
    ASSERT_EQ(out.errors.size(), 2u);
    EXPECT_TRUE(out.errors[0].starts_with("solarman frame: bad checksum")) << out.errors[0];
    EXPECT_TRUE(out.errors[1].starts_with("solarman frame: bad end byte")) << out.errors[1];
    EXPECT_EQ(framer.buffered(), 0u);
}

TEST(Framer, BufferLimit) {
    const Bytes hello = LoadHex("tsun02b0_hello");  // 225 bytes
    Framer framer(300);
    ASSERT_TRUE(framer.Feed(std::span(hello).first(200)));
    const Status overflow = framer.Feed(std::span(hello).subspan(0, 101));  // 200 + 101 > 300
    ASSERT_FALSE(overflow);
    EXPECT_EQ(overflow.error().code, Errc::kResourceExhausted);
    EXPECT_EQ(overflow.error().message,
              "solarman framer: buffer limit of 300 bytes exceeded (200 buffered, 101 more arrived)");
    EXPECT_EQ(framer.buffered(), 0u);
    // Exactly the limit is fine, and a frame larger than the limit can never be buffered.
    ASSERT_TRUE(framer.Feed(std::span(hello).first(225)));
    auto next = framer.Next();
    ASSERT_TRUE(next && next->has_value());
    Framer tiny(100);
    EXPECT_FALSE(tiny.Feed(hello));
}

TEST(Framer, BufferNeverExceedsTheLimitWhileFramesFlowThrough) {
    const Bytes hb = LoadHex("tsun02b0_heartbeat");
    Framer framer(64);
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(framer.Feed(hb));
        ASSERT_LE(framer.buffered(), framer.max_buffer());
        auto next = framer.Next();
        ASSERT_TRUE(next && next->has_value());
        EXPECT_EQ(**next, hb);
    }
    EXPECT_EQ(framer.buffered(), 0u);
}

TEST(Framer, EmptyFeedAndReset) {
    Framer framer(kBuffer);
    ASSERT_TRUE(framer.Feed({}));
    auto next = framer.Next();
    ASSERT_TRUE(next);
    EXPECT_FALSE(next->has_value());
    const Bytes hello = LoadHex("tsun02b0_hello");
    ASSERT_TRUE(framer.Feed(std::span(hello).first(100)));
    EXPECT_EQ(framer.buffered(), 100u);
    framer.Reset();
    EXPECT_EQ(framer.buffered(), 0u);
}

}  // namespace
}  // namespace mh::ingest::solarman
