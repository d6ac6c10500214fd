#include "tsdb/chunk_codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace mh::tsdb {
namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kChunkStart = 1'700'000'000'000;  // 2023-11-14, ms
constexpr std::uint8_t kModeXor = 0x10;                  // docs/chunk_format.md, "Layout"

std::uint64_t Bits(double v) {
    return std::bit_cast<std::uint64_t>(v);
}

// Decodes `bytes` into a fresh vector, asserting success.
std::vector<Sample> Decode(const std::vector<std::uint8_t>& bytes) {
    std::vector<Sample> out;
    const Status status = DecodeChunk(bytes, out);
    EXPECT_TRUE(status) << (status ? "" : status.error().message);
    return out;
}

// Encodes, decodes and checks that every timestamp and every value's bits come back; returns the encoding.
std::vector<std::uint8_t> RoundTrip(const std::vector<Sample>& samples) {
    const std::vector<std::uint8_t> bytes = EncodeChunk(samples);
    const std::vector<Sample> decoded = Decode(bytes);
    EXPECT_EQ(decoded.size(), samples.size());
    if (decoded.size() != samples.size()) return bytes;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        EXPECT_EQ(decoded[i].ts_ms, samples[i].ts_ms) << "sample " << i;
        EXPECT_EQ(Bits(decoded[i].value), Bits(samples[i].value))
            << "sample " << i << ": " << samples[i].value << " decoded as " << decoded[i].value;
    }
    return bytes;
}

// The value mode byte of an encoded chunk, read by following docs/chunk_format.md: version, two varints, mode.
std::uint8_t ModeByte(const std::vector<std::uint8_t>& bytes) {
    std::size_t pos = 1;
    for (int varint = 0; varint < 2; ++varint) {
        while (bytes.at(pos) & 0x80) ++pos;
        ++pos;
    }
    return bytes.at(pos);
}

std::vector<Sample> Regular(const std::vector<double>& values, std::int64_t start = kChunkStart,
                            std::int64_t step = kMinute) {
    std::vector<Sample> samples;
    for (std::size_t i = 0; i < values.size(); ++i) {
        samples.push_back({start + static_cast<std::int64_t>(i) * step, values[i]});
    }
    return samples;
}

// A PV inverter's output over one day at one sample a minute: a bell curve peaking at 5000 W at 13:00, noise
// of about 10 W while the sun is up, rounded to 0.1 W, exactly 0 at night.
std::vector<Sample> PowerCurveDay(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, 10.0);
    std::vector<Sample> samples;
    for (int minute = 0; minute < 24 * 60; ++minute) {
        const double hour = minute / 60.0;
        double watts = 0.0;
        if (hour > 6.0 && hour < 20.0) {
            const double z = (hour - 13.0) / 2.5;
            watts = 5000.0 * std::exp(-0.5 * z * z) + noise(rng);
        }
        const auto tenths = std::max<std::int64_t>(0, std::llround(watts * 10.0));
        samples.push_back({kChunkStart + minute * kMinute, static_cast<double>(tenths) / 10.0});
    }
    return samples;
}

std::vector<double> RandomDoubles(std::size_t count, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<double> values;
    while (values.size() < count) {
        const double v = std::bit_cast<double>(rng());
        if (std::isfinite(v)) values.push_back(v);
    }
    return values;
}

// What any decode of any input must satisfy: an error leaves `out` as it was; success appends samples with
// strictly increasing timestamps and finite values.
void ExpectSaneDecode(const std::vector<std::uint8_t>& bytes) {
    const Sample sentinel{-7, 42.0};
    std::vector<Sample> out{sentinel};
    const Status status = DecodeChunk(bytes, out);
    if (!status) {
        EXPECT_EQ(status.error().code, Errc::kDataLoss);
        EXPECT_FALSE(status.error().message.empty());
        ASSERT_EQ(out.size(), 1u);
        EXPECT_EQ(out[0], sentinel);
        return;
    }
    ASSERT_GE(out.size(), 2u);
    EXPECT_EQ(out[0], sentinel);
    for (std::size_t i = 1; i < out.size(); ++i) {
        EXPECT_TRUE(std::isfinite(out[i].value));
        if (i >= 2) {
            EXPECT_LT(out[i - 1].ts_ms, out[i].ts_ms);
        }
    }
}

// ---- Round trips ---------------------------------------------------------------------------------------------

TEST(ChunkCodec, SingleSample) {
    RoundTrip({{kChunkStart, 230.4}});
    RoundTrip({{0, 0.0}});
    RoundTrip({{-1, -0.0}});
    RoundTrip({{std::numeric_limits<std::int64_t>::min(), 1e300}});
    RoundTrip({{std::numeric_limits<std::int64_t>::max(), -std::numeric_limits<double>::denorm_min()}});
}

TEST(ChunkCodec, TwoSamples) {
    RoundTrip({{kChunkStart, 1.0}, {kChunkStart + 1, 2.0}});
    RoundTrip({{kChunkStart, 0.1}, {kChunkStart + kMinute, 1.0 / 3.0}});
}

TEST(ChunkCodec, RegularIntervalCostsAboutOneBitPerTimestamp) {
    const std::vector<Sample> samples = Regular(std::vector<double>(240, 230.0));
    const std::vector<std::uint8_t> bytes = RoundTrip(samples);
    // 238 one-bit timestamp codes and 239 one-bit value codes: 60 bytes of bit stream, plus a small header.
    EXPECT_LE(bytes.size(), 60u + 16u);
}

TEST(ChunkCodec, IrregularTimestamps) {
    std::vector<Sample> samples;
    std::int64_t ts = kChunkStart;
    std::mt19937_64 rng(7);
    for (int i = 0; i < 1000; ++i) {
        samples.push_back({ts, static_cast<double>(i % 17)});
        switch (i % 10) {
            case 0: ts += 1; break;  // 1 ms steps
            case 1: ts += 1; break;
            case 2: ts += kMinute + static_cast<std::int64_t>(rng() % 200); break;  // jitter
            case 3: ts += kMinute; break;
            case 4: ts += 3 * 3600 * 1000; break;           // a gap of hours
            case 5: ts += 400LL * 24 * 3600 * 1000; break;  // more than a year
            case 6: ts += 1 + static_cast<std::int64_t>(rng() % 5000); break;
            default: ts += 1000; break;
        }
    }
    RoundTrip(samples);
}

TEST(ChunkCodec, ExtremeTimestamps) {
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    RoundTrip({{kMin, 1.0}, {kMax, 2.0}});  // the widest possible first delta
    RoundTrip({{kMin, 1.0}, {kMin + 1, 2.0}, {kMax - 1, 3.0}, {kMax, 4.0}});
    RoundTrip({{kMin, 1.0}, {0, 2.0}, {kMax, 3.0}});
}

TEST(ChunkCodec, NegativeTimestamps) {
    RoundTrip(Regular({1, 2, 3, 4, 5}, -10 * kMinute));    // crossing zero
    RoundTrip(Regular({1, 2, 3}, -1'000'000'000'000, 1));  // before 1970
    RoundTrip({{-5000, 1.0}, {-4999, 1.0}, {-10, 2.0}, {-1, 2.5}, {0, 3.0}, {7, 3.5}});
}

TEST(ChunkCodec, ScaledDecimalPicksFewestDecimals) {
    struct Case {
        std::vector<double> values;
        std::uint8_t mode;
    };
    const std::vector<Case> cases = {
        {{0, 0, 0}, 0x00},
        {{1, 2, 3, -4, 1000000}, 0x00},       // integers
        {{230.1, 229.8, 231.0, -0.5}, 0x01},  // one decimal
        {{1.5, 2.25, 0}, 0x02},
        {{12345.678, 12345.681, -0.001, 0.0}, 0x03},  // three decimals
        {{0.000001, 1.0}, 0x06},
        {{9007199254740991.0, -9007199254740991.0}, 0x00},  // |n| = 2^53 - 1, the largest allowed
    };
    for (const Case& c : cases) {
        const std::vector<std::uint8_t> bytes = RoundTrip(Regular(c.values));
        EXPECT_EQ(ModeByte(bytes), c.mode) << "first value " << c.values[0];
    }
}

TEST(ChunkCodec, ScaledDecimalLargeSteps) {
    // Deltas that need every bucket, the 64-bit escape included.
    RoundTrip(Regular({0, 1, -1, 31, -32, 33, 600, -600, 40000, -40000, 9e6, -9e6, 4e15, -4e15, 9e15, -9e15, 0}));
}

TEST(ChunkCodec, FallsBackToXor) {
    const std::vector<std::vector<double>> cases = {
        {0.1, 0.2, 1.0 / 3.0},      // one value needs more than 6 decimals
        {1.0, -0.0, 2.0},           // -0.0 is not n / 10^k
        {0.0000001},                // 7 decimals
        {9007199254740992.0, 1.0},  // |n| = 2^53
        {1e300, -1e300, 1e-300},
        {std::numeric_limits<double>::denorm_min(), 3 * std::numeric_limits<double>::denorm_min(),
         std::numeric_limits<double>::min() / 3},  // denormals
        {std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(), 0.0},
        {3.14159265358979, 3.14159265358979, 2.71828182845905, 3.14159265358979},
    };
    for (const std::vector<double>& values : cases) {
        const std::vector<std::uint8_t> bytes = RoundTrip(Regular(values));
        EXPECT_EQ(ModeByte(bytes), kModeXor) << "first value " << values[0];
    }
}

TEST(ChunkCodec, RandomDoubles) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) RoundTrip(Regular(RandomDoubles(240, seed)));
    // Slowly drifting sensor readings: many small XORs, exercising window reuse.
    std::mt19937_64 rng(99);
    std::normal_distribution<double> step(0.0, 0.01);
    std::vector<double> values{20.0};
    for (int i = 1; i < 240; ++i) values.push_back(values.back() + step(rng));
    const std::vector<std::uint8_t> bytes = RoundTrip(Regular(values));
    EXPECT_EQ(ModeByte(bytes), kModeXor);
}

TEST(ChunkCodec, DecodeAppends) {
    const std::vector<Sample> first = Regular({1, 2, 3});
    const std::vector<Sample> second = Regular({0.5, 1e300}, kChunkStart + 10 * kMinute);
    std::vector<Sample> out;
    ASSERT_TRUE(DecodeChunk(EncodeChunk(first), out));
    ASSERT_TRUE(DecodeChunk(EncodeChunk(second), out));
    std::vector<Sample> expected = first;
    expected.insert(expected.end(), second.begin(), second.end());
    EXPECT_EQ(out, expected);
}

TEST(ChunkCodec, GoldenBytesFromTheFormatDoc) {
    // The two examples of docs/chunk_format.md: a changed byte here is a format change (bump the version).
    const std::vector<Sample> scaled = {{1700000000000, 230.1},
                                        {1700000060000, 230.1},
                                        {1700000120000, 230.4},
                                        {1700000180000, 229.9},
                                        {1700000240050, 229.9}};
    const std::vector<std::uint8_t> scaled_bytes = {0x01, 0x05, 0x80, 0xa0, 0xab, 0xfe, 0xf9, 0x62, 0x01,
                                                    0xe0, 0xd4, 0x03, 0xfa, 0x23, 0x2c, 0x88, 0x68, 0x90};
    EXPECT_EQ(EncodeChunk(scaled), scaled_bytes);
    EXPECT_EQ(Decode(scaled_bytes), scaled);

    const std::vector<Sample> xored = {{-1000, 1.0 / 3.0}, {0, 1.0 / 3.0}, {1000, 0.5}};
    const std::vector<std::uint8_t> xored_bytes = {0x01, 0x03, 0xcf, 0x0f, 0x10, 0xe8, 0x07, 0x55,
                                                   0x55, 0x55, 0x55, 0x55, 0x55, 0xd5, 0x3f, 0x35,
                                                   0x6d, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xa8};
    EXPECT_EQ(EncodeChunk(xored), xored_bytes);
    EXPECT_EQ(Decode(xored_bytes), xored);
}

// ---- Size ----------------------------------------------------------------------------------------------------

TEST(ChunkCodec, RealisticPowerCurveUnderThreeBytesPerSample) {
    const std::vector<Sample> day = PowerCurveDay(2024);
    std::size_t total_bytes = 0;
    std::size_t worst_chunk = 0;
    for (std::size_t start = 0; start < day.size(); start += 240) {
        const std::vector<Sample> chunk(day.begin() + static_cast<std::ptrdiff_t>(start),
                                        day.begin() + static_cast<std::ptrdiff_t>(start + 240));
        const std::vector<std::uint8_t> bytes = RoundTrip(chunk);
        EXPECT_LE(ModeByte(bytes), 0x01);  // one decimal; none in the all-zero night chunks
        total_bytes += bytes.size();
        worst_chunk = std::max(worst_chunk, bytes.size());
    }
    const double per_sample = static_cast<double>(total_bytes) / static_cast<double>(day.size());
    const double worst = static_cast<double>(worst_chunk) / 240.0;
    std::printf("[ size     ] power curve: %.3f bytes/sample over the day, %.3f in the worst (midday) chunk\n",
                per_sample, worst);
    EXPECT_LT(worst, 3.0);
    EXPECT_LT(per_sample, 3.0);
}

TEST(ChunkCodec, RandomDoublesSize) {
    const std::vector<std::uint8_t> bytes = RoundTrip(Regular(RandomDoubles(240, 5)));
    std::printf("[ size     ] random doubles: %.3f bytes/sample\n", static_cast<double>(bytes.size()) / 240.0);
}

// ---- Robustness ----------------------------------------------------------------------------------------------

std::vector<std::vector<std::uint8_t>> SampleChunks() {
    const std::vector<Sample> day = PowerCurveDay(1);
    std::vector<Sample> irregular;
    std::int64_t ts = -kMinute;
    for (int i = 0; i < 120; ++i) {
        irregular.push_back({ts, i * 1e-3});
        ts += (i % 3 == 0) ? 1 : (i % 3 == 1) ? 3'600'000'000 : kMinute + i;
    }
    return {
        EncodeChunk(std::vector<Sample>(day.begin() + 600, day.begin() + 840)),  // scaled decimal, midday
        EncodeChunk(Regular(RandomDoubles(240, 3))),                             // XOR
        EncodeChunk(irregular),
        EncodeChunk(Regular({5.0})),
        EncodeChunk(Regular({5.5, 1.0 / 3.0})),
        EncodeChunk(Regular({1.0, 2.0, 2.0, 2.0})),
    };
}

TEST(ChunkCodecRobustness, EveryTruncationIsAnError) {
    for (const std::vector<std::uint8_t>& chunk : SampleChunks()) {
        for (std::size_t length = 0; length < chunk.size(); ++length) {
            const std::vector<std::uint8_t> prefix(chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(length));
            std::vector<Sample> out;
            const Status status = DecodeChunk(prefix, out);
            ASSERT_FALSE(status) << "prefix of " << length << " of " << chunk.size() << " bytes decoded";
            EXPECT_EQ(status.error().code, Errc::kDataLoss);
            EXPECT_TRUE(out.empty());
        }
    }
}

TEST(ChunkCodecRobustness, TrailingBytesAreAnError) {
    for (std::vector<std::uint8_t> chunk : SampleChunks()) {
        chunk.push_back(0);
        std::vector<Sample> out;
        const Status status = DecodeChunk(chunk, out);
        ASSERT_FALSE(status);
        EXPECT_EQ(status.error().code, Errc::kDataLoss);
    }
}

TEST(ChunkCodecRobustness, SingleBitFlipsNeverCrash) {
    std::size_t flips = 0;
    std::size_t detected = 0;
    for (const std::vector<std::uint8_t>& chunk : SampleChunks()) {
        for (std::size_t bit = 0; bit < chunk.size() * 8; ++bit) {
            std::vector<std::uint8_t> flipped = chunk;
            flipped[bit / 8] ^= static_cast<std::uint8_t>(0x80 >> (bit % 8));
            ExpectSaneDecode(flipped);
            std::vector<Sample> out;
            ++flips;
            if (!DecodeChunk(flipped, out)) ++detected;
        }
    }
    std::printf("[ flips    ] %zu of %zu single-bit flips detected\n", detected, flips);
}

TEST(ChunkCodecRobustness, RandomBytesNeverCrash) {
    std::mt19937_64 rng(12345);
    for (int i = 0; i < 10'000; ++i) {
        std::vector<std::uint8_t> bytes(rng() % 96);
        for (std::uint8_t& b : bytes) b = static_cast<std::uint8_t>(rng());
        // Half of them get a plausible header start, to reach the bit stream decoders.
        if (i % 2 == 0 && bytes.size() >= 4) {
            bytes[0] = 1;
            bytes[1] = static_cast<std::uint8_t>(rng() % 127 + 1);
            bytes[2] &= 0x7f;
            bytes[3] = (i % 4 == 0) ? kModeXor : static_cast<std::uint8_t>(rng() % 7);
        }
        ExpectSaneDecode(bytes);
    }
}

TEST(ChunkCodecRobustness, MalformedInput) {
    // `why` is a piece of the expected message, to check that the intended defect was the one found.
    auto expect_data_loss = [](const std::vector<std::uint8_t>& bytes, const std::string& why) {
        std::vector<Sample> out;
        const Status status = DecodeChunk(bytes, out);
        ASSERT_FALSE(status) << why;
        EXPECT_EQ(status.error().code, Errc::kDataLoss);
        EXPECT_NE(status.error().message.find(why), std::string::npos) << status.error().message;
        EXPECT_TRUE(out.empty());
    };
    const std::vector<std::uint8_t> valid = EncodeChunk(Regular({1.0, 2.0, 3.0}));
    std::vector<std::uint8_t> bytes = valid;
    bytes[0] = 2;
    expect_data_loss(bytes, "version");
    bytes = valid;
    bytes[1] = 0;
    expect_data_loss(bytes, "sample count");
    expect_data_loss({}, "empty");
    for (std::uint8_t mode : {0x07, 0x0f, 0x11, 0x20, 0xff}) expect_data_loss({1, 1, 0, mode, 0}, "value mode");
    // A count of a million and one; a million with nowhere near enough bits.
    expect_data_loss({1, 0xc1, 0x84, 0x3d, 0, 0, 1, 0}, "sample count");
    expect_data_loss({1, 0xc0, 0x84, 0x3d, 0, 0, 1, 0, 0, 0, 0}, "truncated");
    // Non-canonical and overlong varints.
    expect_data_loss({1, 0x81, 0x00, 0, 0, 0}, "header");
    expect_data_loss({1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0}, "header");
    // A zero first delta.
    expect_data_loss({1, 2, 0, 0, 0, 0, 0x00}, "not increasing");
    // Non-zero padding after the last code.
    bytes = valid;
    bytes.back() |= 0x01;
    expect_data_loss(bytes, "padding");
    // An XOR reuse code ('10') before any window was defined: count 2, ts 0, XOR, delta 1, value 0.
    expect_data_loss({1, 2, 0, kModeXor, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x80}, "window");
    // An XOR window with leading + length > 64: '11', leading 31, length 40.
    expect_data_loss({1, 2, 0, kModeXor, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0x40, 0, 0, 0, 0, 0}, "window");
    // Timestamps that stop increasing: count 3, delta 60000, then dod -60000 ('1110' + 24 bits), two '0' values.
    expect_data_loss({1, 3, 0, 0, 0xe0, 0xd4, 0x03, 0, 0xe0, 0x1d, 0x4b, 0xf0}, "not increasing");
    // The same with dod -59999 decodes: a sanity check of the hand-made bytes above.
    std::vector<Sample> out;
    ASSERT_TRUE(DecodeChunk(std::vector<std::uint8_t>{1, 3, 0, 0, 0xe0, 0xd4, 0x03, 0, 0xe0, 0x1d, 0x4b, 0xd0}, out));
    EXPECT_EQ(out, (std::vector<Sample>{{0, 0.0}, {60000, 0.0}, {60001, 0.0}}));
}

// ---- Speed (run with --gtest_also_run_disabled_tests, in a Release build) ---------------------------------

TEST(ChunkCodecSpeed, DISABLED_Throughput) {
    struct Workload {
        const char* name;
        std::vector<Sample> chunk;
    };
    const std::vector<Sample> day = PowerCurveDay(3);
    const std::vector<Workload> workloads = {
        {"power curve (scaled decimal)", std::vector<Sample>(day.begin() + 600, day.begin() + 840)},
        {"constant (scaled decimal)", Regular(std::vector<double>(240, 230.0))},
        {"random doubles (XOR)", Regular(RandomDoubles(240, 4))},
    };
    constexpr int kRounds = 10'000;
    constexpr int kRepeats = 7;  // the best of several runs, to see past a noisy machine
    using Clock = std::chrono::steady_clock;
    auto best_seconds = [](auto&& body) {
        double best = std::numeric_limits<double>::infinity();
        for (int r = 0; r < kRepeats; ++r) {
            const auto start = Clock::now();
            body();
            best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
        }
        return best;
    };
    for (const Workload& w : workloads) {
        std::size_t sink = 0;
        const double encode_s = best_seconds([&] {
            for (int i = 0; i < kRounds; ++i) sink += EncodeChunk(w.chunk).size();
        });
        const std::vector<std::uint8_t> bytes = EncodeChunk(w.chunk);
        std::vector<Sample> out;
        out.reserve(w.chunk.size());
        const double decode_s = best_seconds([&] {
            for (int i = 0; i < kRounds; ++i) {
                out.clear();
                if (DecodeChunk(bytes, out)) sink += out.size();
            }
        });
        EXPECT_EQ(out, w.chunk);
        const double samples = static_cast<double>(kRounds) * static_cast<double>(w.chunk.size());
        std::printf("[ speed    ] %-30s %.2f bytes/sample, encode %6.1f M samples/s, decode %6.1f M samples/s (%zu)\n",
                    w.name, static_cast<double>(bytes.size()) / static_cast<double>(w.chunk.size()),
                    samples / encode_s / 1e6, samples / decode_s / 1e6, sink % 10);
    }
}

}  // namespace
}  // namespace mh::tsdb
