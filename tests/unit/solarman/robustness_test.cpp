// Random and mutated bytes through every decoder: no crash, no exception, and the promises each one makes
// (a frame that decodes re-encodes to the same bytes; the framer's buffer stays within its limit).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "ingest/solarman/frame.hpp"
#include "ingest/solarman/framer.hpp"
#include "ingest/solarman/logger_info.hpp"
#include "ingest/solarman/modbus.hpp"
#include "ingest/solarman/payload.hpp"
#include "unit/solarman/fixtures.hpp"

namespace mh::ingest::solarman {
namespace {

using testing::LoadHex;
using Bytes = std::vector<std::uint8_t>;

class Robustness : public ::testing::Test {
  protected:
    void SetUp() override {
        for (const std::string_view name : BuiltinFieldMapNames()) maps_.push_back(*BuiltinFieldMap(name));
    }

    // Runs `bytes` through everything (the register maps, the slowest part, only if `registers`); returns how
    // many frames the framer produced.
    int Exercise(const Bytes& bytes, bool registers = true) {
        if (const auto frame = DecodeFrame(bytes)) {
            EXPECT_EQ(EncodeFrame(*frame), bytes);
            ExercisePayload(frame->payload, registers);
            (void)DecodeModbusReply(*frame);
        }
        ExercisePayload(bytes, registers);
        Framer framer(2048);
        int frames = 0;
        // Feed in two pieces to exercise partial frames too.
        const std::size_t cut = bytes.empty() ? 0 : bytes[0] % (bytes.size() + 1);
        for (const std::span<const std::uint8_t> piece : {std::span(bytes).first(cut), std::span(bytes).subspan(cut)}) {
            if (!framer.Feed(piece)) continue;
            EXPECT_LE(framer.buffered(), framer.max_buffer());
            for (;;) {
                auto next = framer.Next();
                if (!next) continue;
                if (!next->has_value()) break;
                ++frames;
                EXPECT_TRUE(DecodeFrame(**next)) << "the framer handed out an invalid frame";
            }
        }
        return frames;
    }

    void ExercisePayload(std::span<const std::uint8_t> payload, bool registers) {
        for (const FieldMap& map : maps_) (void)DecodeDataPayload(payload, map);
        (void)DecodePushHeader(payload);
        (void)DecodeLoggerInfo(payload);
        if (!registers) return;
        // The same bytes as Modbus registers.
        RegisterBlock block;
        block.start = payload.empty() ? 0 : static_cast<std::uint16_t>(payload[0] << 2);
        for (std::size_t i = 0; i + 1 < payload.size(); i += 2) {
            block.values.push_back(static_cast<std::uint16_t>((payload[i] << 8) | payload[i + 1]));
        }
        for (const FieldMap& map : maps_) (void)DecodeRegisters(map, std::span(&block, 1));
    }

    std::vector<FieldMap> maps_;
};

TEST_F(Robustness, HundredThousandRandomByteStrings) {
    std::mt19937 rng(20240411);
    Bytes bytes;
    for (int i = 0; i < 100'000; ++i) {
        const std::size_t size = rng() % 64 == 0 ? rng() % 1200 : rng() % 48;
        bytes.resize(size);
        for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
        // Half the strings start like a frame, so the deeper checks get reached.
        if (size >= 5 && i % 2 == 0) {
            bytes[0] = kStartByte;
            bytes[3] = kControlLowByte;
            if (i % 4 == 0) {
                const std::size_t length = size - kMinFrameSize * (size >= kMinFrameSize);
                bytes[1] = static_cast<std::uint8_t>(length);
                bytes[2] = static_cast<std::uint8_t>(length >> 8);
            }
        }
        Exercise(bytes, i % 16 == 0);
        if (::testing::Test::HasFailure()) FAIL() << "input " << i;
    }
}

TEST_F(Robustness, MutatedFixtures) {
    const char* const fixtures[] = {"tsun02b0_hello",
                                    "tsun02b0_data",
                                    "deyemicro_data_synthetic",
                                    "generic_modbus_reply_00aa",
                                    "deye5406_modbus_reply_serial",
                                    "generic_status_wrong_serial"};
    std::mt19937 rng(42);
    for (const char* name : fixtures) {
        const Bytes original = LoadHex(name);
        for (int i = 0; i < 3000; ++i) {
            Bytes bytes = original;
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits; ++e) bytes[rng() % bytes.size()] = static_cast<std::uint8_t>(rng());
            if (rng() % 3 == 0) bytes.resize(rng() % (bytes.size() + 1));
            // Keep the frame valid half the time so the payload decoders see mutated payloads.
            if (bytes.size() >= kMinFrameSize && i % 2 == 0) {
                bytes[0] = kStartByte;
                bytes[1] = static_cast<std::uint8_t>(bytes.size() - kMinFrameSize);
                bytes[2] = static_cast<std::uint8_t>((bytes.size() - kMinFrameSize) >> 8);
                bytes[3] = kControlLowByte;
                bytes[bytes.size() - 1] = kEndByte;
                bytes[bytes.size() - 2] = FrameChecksum(bytes);
                EXPECT_TRUE(DecodeFrame(bytes)) << name << " " << i;
            }
            Exercise(bytes, i % 8 == 0);
            if (::testing::Test::HasFailure()) FAIL() << name << " mutation " << i;
        }
    }
}

}  // namespace
}  // namespace mh::ingest::solarman
