#include "tsdb/chunk_codec.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "tsdb/bit_stream.hpp"

namespace mh::tsdb {
namespace {

// docs/chunk_format.md is the reference for every constant here; change both together, and bump
// kFormatVersion for anything a version-1 decoder would misread.
constexpr std::uint8_t kFormatVersion = 1;
constexpr std::uint64_t kMaxSamples = 1'000'000;

// Value mode byte: high nibble the mode, low nibble its parameter.
constexpr std::uint8_t kModeScaledDecimal = 0x00;  // low nibble: k, the number of decimals (0..kMaxDecimals)
constexpr std::uint8_t kModeXor = 0x10;            // low nibble: 0

constexpr int kMaxDecimals = 6;
constexpr double kPow10[kMaxDecimals + 1] = {1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0, 1000000.0};
constexpr std::int64_t kMaxScaled = (std::int64_t{1} << 53) - 1;  // |n| <= kMaxScaled: exact as a double

constexpr std::uint64_t kExponentMask = 0x7ff0'0000'0000'0000;  // all ones: infinity or NaN

// A prefix code for zigzagged integers: bucket i < N is written as i one bits, a zero bit and width[i]
// payload bits; numbers too wide for every bucket as N one bits and 64 payload bits.
template <unsigned N>
struct PrefixCode {
    unsigned width[N];           // payload bits of bucket i; width[0] is 0 (the value 0 alone)
    std::uint64_t word[N];       // prefix of bucket i, i ones and a zero, as a number
    unsigned bucket_of[65];      // bit_width(zz) -> smallest bucket holding it, N = escape
    std::uint64_t packed_width;  // width[i] in byte i: a shift instead of a load on the decoder's critical path

    constexpr explicit PrefixCode(const unsigned (&widths)[N]) : width{}, word{}, bucket_of{}, packed_width(0) {
        static_assert(N <= 8);
        for (unsigned i = 0; i < N; ++i) {
            width[i] = widths[i];
            word[i] = ((std::uint64_t{1} << i) - 1) << 1;
            packed_width |= static_cast<std::uint64_t>(widths[i]) << (8 * i);
        }
        for (unsigned bits = 0; bits <= 64; ++bits) {
            unsigned bucket = 0;
            while (bucket < N && width[bucket] < bits) ++bucket;
            bucket_of[bits] = bucket;
        }
    }
};

// Timestamps: zigzag(delta of delta) in ms. 0 (1 bit), +-64 ms (9), +-2 s (15), +-2.3 h (28), else 68 bits.
constexpr unsigned kTimestampWidths[] = {0, 7, 12, 24};
constexpr PrefixCode<4> kTimestampCode(kTimestampWidths);
// Scaled-decimal values: zigzag(n_i - n_{i-1}). 0 (1 bit), +-32 (8), +-512 (13), +-32768 (20), +-2^23 (29),
// else 69 bits.
constexpr unsigned kScaledWidths[] = {0, 6, 10, 16, 24};
constexpr PrefixCode<5> kScaledCode(kScaledWidths);

constexpr std::uint64_t ZigZag(std::int64_t v) {
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
constexpr std::int64_t UnZigZag(std::uint64_t u) {
    return static_cast<std::int64_t>((u >> 1) ^ (0 - (u & 1)));
}

template <unsigned N>
inline void WriteCode(BitWriter& writer, const PrefixCode<N>& code, std::uint64_t zz) {
    const unsigned bucket = code.bucket_of[std::bit_width(zz)];
    if (bucket < N) [[likely]] {
        writer.Write((code.word[bucket] << code.width[bucket]) | zz, bucket + 1 + code.width[bucket]);
    } else {
        writer.Write((std::uint64_t{1} << N) - 1, N);
        writer.Write(zz, 64);
    }
}

// Decodes the code at the front of `word` (the caller's Peek()) and advances past it; returns its payload.
template <unsigned N>
inline std::uint64_t ReadCode(BitReader& reader, const PrefixCode<N>& code, std::uint64_t word) {
    const unsigned ones = static_cast<unsigned>(std::countl_one(word));
    if (ones < N) [[likely]] {
        const unsigned prefix = ones + 1;
        const auto width = static_cast<unsigned>((code.packed_width >> (8 * ones)) & 0xff);
        reader.Skip(prefix + width);
        return (word << prefix) >> (63 - width) >> 1;
    }
    reader.Skip(N);
    return reader.ReadWide(64);
}

// Length of the run of zero bits (each a "no change" code) at the front of `word`, at most `limit`.
inline std::uint64_t ZeroRun(std::uint64_t word, std::uint64_t limit) {
    const auto zeros = static_cast<std::uint64_t>(std::countl_zero(word));
    return std::min({zeros, std::uint64_t{BitReader::kPeekBits}, limit});
}

// ---- Scaled decimals ----------------------------------------------------------------------------------------

// Finds n with static_cast<double>(n) / p bitwise equal to v and |n| <= kMaxScaled, if the nearest integer to
// v * p is one.
inline bool ScaleOne(double v, double p, std::int64_t& n) {
    const double x = v * p;
    double rounded = 0.0;
    if (std::fabs(x) < 0x1p51) [[likely]] {
        rounded = (x + 0x1.8p52) - 0x1.8p52;  // round to nearest integer without a libm call
    } else if (std::fabs(x) <= static_cast<double>(kMaxScaled)) {
        rounded = std::round(x);
    } else {
        return false;  // too large, infinite or NaN
    }
    n = static_cast<std::int64_t>(rounded);
    return std::bit_cast<std::uint64_t>(static_cast<double>(n) / p) == std::bit_cast<std::uint64_t>(v);
}

// Scales every value with the smallest k that represents all of them exactly; returns k, or -1 if none does.
int ScaleValues(std::span<const Sample> samples, std::vector<std::int64_t>& scaled) {
    scaled.resize(samples.size());
    int k = 0;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        if (ScaleOne(samples[i].value, kPow10[k], scaled[i])) [[likely]] {
            continue;
        }
        // Value i needs more decimals: raise k until it and every value before it fit.
        for (;;) {
            if (++k > kMaxDecimals) return -1;
            if (!ScaleOne(samples[i].value, kPow10[k], scaled[i])) continue;
            bool all_fit = true;
            for (std::size_t j = 0; j < i && all_fit; ++j) all_fit = ScaleOne(samples[j].value, kPow10[k], scaled[j]);
            if (all_fit) break;
        }
    }
    return k;
}

// ---- Byte-aligned header fields ----------------------------------------------------------------------------

void PutVarint(std::vector<std::uint8_t>& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<std::uint8_t>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(v));
}

void PutFixed64(std::vector<std::uint8_t>& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

class ByteCursor {
  public:
    explicit ByteCursor(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    bool Byte(std::uint8_t& v) {
        if (pos_ >= bytes_.size()) return false;
        v = bytes_[pos_++];
        return true;
    }

    // LEB128, at most 10 bytes, canonical (no redundant trailing zero byte, no bits beyond 64).
    bool Varint(std::uint64_t& v) {
        v = 0;
        for (unsigned shift = 0; shift < 64; shift += 7) {
            std::uint8_t byte = 0;
            if (!Byte(byte)) return false;
            if (shift == 63 && byte > 1) return false;
            v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
            if ((byte & 0x80) == 0) return byte != 0 || shift == 0;
        }
        return false;
    }

    bool Fixed64(std::uint64_t& v) {
        if (bytes_.size() - pos_ < 8) return false;
        v = 0;
        for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(bytes_[pos_ + i]) << (8 * i);
        pos_ += 8;
        return true;
    }

    std::span<const std::uint8_t> Rest() const { return bytes_.subspan(pos_); }

  private:
    std::span<const std::uint8_t> bytes_;
    std::size_t pos_ = 0;
};

Error Corrupt(const char* what) {
    return MakeError(Errc::kDataLoss, std::string("chunk: ") + what);
}

// ---- Encoding ------------------------------------------------------------------------------------------------

void EncodeTimestamps(BitWriter& writer, std::span<const Sample> samples) {
    auto prev_ts = static_cast<std::uint64_t>(samples[1].ts_ms);
    std::uint64_t prev_delta = prev_ts - static_cast<std::uint64_t>(samples[0].ts_ms);
    for (std::size_t i = 2; i < samples.size(); ++i) {
        const auto ts = static_cast<std::uint64_t>(samples[i].ts_ms);
        const std::uint64_t delta = ts - prev_ts;
        WriteCode(writer, kTimestampCode, ZigZag(static_cast<std::int64_t>(delta - prev_delta)));
        prev_ts = ts;
        prev_delta = delta;
    }
}

void EncodeScaled(BitWriter& writer, std::span<const std::int64_t> scaled) {
    for (std::size_t i = 1; i < scaled.size(); ++i) WriteCode(writer, kScaledCode, ZigZag(scaled[i] - scaled[i - 1]));
}

void EncodeXor(BitWriter& writer, std::span<const Sample> samples) {
    std::uint64_t prev = std::bit_cast<std::uint64_t>(samples[0].value);
    unsigned window_leading = 0;
    unsigned window_length = 0;  // 0: no window yet
    for (std::size_t i = 1; i < samples.size(); ++i) {
        const auto bits = std::bit_cast<std::uint64_t>(samples[i].value);
        const std::uint64_t x = bits ^ prev;
        prev = bits;
        if (x == 0) {
            writer.Write(0, 1);
            continue;
        }
        const auto leading = std::min(static_cast<unsigned>(std::countl_zero(x)), 31u);
        const auto trailing = static_cast<unsigned>(std::countr_zero(x));
        const unsigned length = 64 - leading - trailing;
        // Reuse the window when x fits in it and that is no dearer than a new window's 11 header bits.
        if (window_length != 0 && leading >= window_leading && 64 - trailing <= window_leading + window_length &&
            window_length <= length + 11) {
            writer.Write(0b10, 2);
            writer.Write(x >> (64 - window_leading - window_length), window_length);
            continue;
        }
        writer.Write((0b11u << 11) | (leading << 6) | (length & 63), 13);
        writer.Write(x >> trailing, length);
        window_leading = leading;
        window_length = length;
    }
}

// ---- Decoding ------------------------------------------------------------------------------------------------

// Fills dst[2..count).ts_ms; dst[1].ts_ms and first_delta (dst[1] - dst[0]) come from the header.
[[gnu::noinline]] Status DecodeTimestamps(BitReader& reader, std::uint64_t first_delta, Sample* dst,
                                          std::uint64_t count) {
    BitReader r = reader;  // a local copy stays in registers across the stores to dst
    std::int64_t ts = dst[1].ts_ms;
    std::uint64_t delta = first_delta;
    bool increasing = true;
    std::uint64_t i = 2;
    while (i < count) {
        const std::uint64_t word = r.Peek();
        if ((word >> 63) == 0) {
            // A run of '0' codes: the same delta again, for each of them.
            const std::uint64_t run = ZeroRun(word, count - i);
            for (std::uint64_t j = 0; j < run; ++j) {
                const auto next = static_cast<std::int64_t>(static_cast<std::uint64_t>(ts) + delta);
                increasing &= next > ts;
                ts = next;
                dst[i + j].ts_ms = ts;
            }
            r.Skip(static_cast<unsigned>(run));
            i += run;
        } else {
            delta += static_cast<std::uint64_t>(UnZigZag(ReadCode(r, kTimestampCode, word)));
            const auto next = static_cast<std::int64_t>(static_cast<std::uint64_t>(ts) + delta);
            increasing &= next > ts;
            ts = next;
            dst[i].ts_ms = ts;
            ++i;
        }
        if (!increasing) [[unlikely]] {
            return r.Overrun() ? Corrupt("truncated bit stream") : Corrupt("timestamps not increasing");
        }
    }
    reader = r;
    return Ok();
}

// Fills dst[0..count).value from n_0 and the delta codes.
[[gnu::noinline]] Status DecodeScaled(BitReader& reader, std::int64_t first, double scale, Sample* dst,
                                      std::uint64_t count) {
    BitReader r = reader;
    auto n = static_cast<std::uint64_t>(first);
    double value = static_cast<double>(first) / scale;
    dst[0].value = value;
    bool in_range = true;
    std::uint64_t i = 1;
    while (i < count) {
        const std::uint64_t word = r.Peek();
        if ((word >> 63) == 0) {
            const std::uint64_t run = ZeroRun(word, count - i);
            for (std::uint64_t j = 0; j < run; ++j) dst[i + j].value = value;
            r.Skip(static_cast<unsigned>(run));
            i += run;
            continue;
        }
        n += static_cast<std::uint64_t>(UnZigZag(ReadCode(r, kScaledCode, word)));
        // |n| <= kMaxScaled, tested as one unsigned comparison.
        in_range &= n + static_cast<std::uint64_t>(kMaxScaled) <= 2 * static_cast<std::uint64_t>(kMaxScaled);
        value = static_cast<double>(static_cast<std::int64_t>(n)) / scale;
        dst[i].value = value;
        ++i;
    }
    if (!in_range) return r.Overrun() ? Corrupt("truncated bit stream") : Corrupt("scaled value out of range");
    reader = r;
    return Ok();
}

// Fills dst[0..count).value from the first value's bits and the XOR codes.
[[gnu::noinline]] Status DecodeXor(BitReader& reader, std::uint64_t first, Sample* dst, std::uint64_t count) {
    BitReader r = reader;
    std::uint64_t bits = first;
    dst[0].value = std::bit_cast<double>(bits);
    unsigned window_leading = 0;
    unsigned window_length = 0;
    bool finite = (bits & kExponentMask) != kExponentMask;
    std::uint64_t i = 1;
    while (i < count) {
        const std::uint64_t word = r.Peek();
        if ((word >> 63) == 0) {
            const std::uint64_t run = ZeroRun(word, count - i);
            const double value = std::bit_cast<double>(bits);
            for (std::uint64_t j = 0; j < run; ++j) dst[i + j].value = value;
            r.Skip(static_cast<unsigned>(run));
            i += run;
            continue;
        }
        if ((word >> 62) == 0b11) {
            const auto leading = static_cast<unsigned>((word >> 57) & 31);
            const auto length_field = static_cast<unsigned>((word >> 51) & 63);
            const unsigned length = length_field == 0 ? 64 : length_field;
            if (leading + length > 64) return Corrupt("bad XOR window");
            window_leading = leading;
            window_length = length;
            r.Skip(13);
        } else {
            if (window_length == 0) return Corrupt("XOR window used before defined");
            r.Skip(2);
        }
        bits ^= r.ReadWide(window_length) << (64 - window_leading - window_length);
        finite &= (bits & kExponentMask) != kExponentMask;
        dst[i].value = std::bit_cast<double>(bits);
        ++i;
    }
    if (!finite) return r.Overrun() ? Corrupt("truncated bit stream") : Corrupt("non-finite value");
    reader = r;
    return Ok();
}

Status DecodeInto(std::span<const std::uint8_t> bytes, std::vector<Sample>& out) {
    ByteCursor cursor(bytes);
    std::uint8_t version = 0;
    if (!cursor.Byte(version)) return Corrupt("empty");
    if (version != kFormatVersion) return Corrupt("unknown format version");

    std::uint64_t count = 0;
    std::uint64_t first_ts_zz = 0;
    std::uint8_t mode = 0;
    if (!cursor.Varint(count) || !cursor.Varint(first_ts_zz) || !cursor.Byte(mode)) return Corrupt("truncated header");
    if (count == 0 || count > kMaxSamples) return Corrupt("bad sample count");
    const int decimals = mode & 0x0f;
    const bool scaled = (mode & 0xf0) == kModeScaledDecimal;
    if (scaled ? decimals > kMaxDecimals : mode != kModeXor) return Corrupt("bad value mode");

    std::uint64_t first_delta = 0;
    if (count >= 2) {
        if (!cursor.Varint(first_delta)) return Corrupt("truncated header");
        if (first_delta == 0) return Corrupt("timestamps not increasing");
    }
    std::uint64_t first_value = 0;  // zigzag(n_0) or the first double's bits
    if (!(scaled ? cursor.Varint(first_value) : cursor.Fixed64(first_value))) return Corrupt("truncated header");

    // Every sample after the first costs at least one bit for its value and, after the second, one for its
    // timestamp: refuse counts the input cannot hold before allocating for them.
    const std::span<const std::uint8_t> stream = cursor.Rest();
    const std::uint64_t min_bits = count >= 2 ? 2 * count - 3 : 0;
    if (min_bits > static_cast<std::uint64_t>(stream.size()) * 8) return Corrupt("truncated bit stream");

    const std::int64_t first_ts = UnZigZag(first_ts_zz);
    const std::size_t base = out.size();
    out.resize(base + count);
    Sample* dst = out.data() + base;
    dst[0].ts_ms = first_ts;
    if (count >= 2) {
        const auto second = static_cast<std::int64_t>(static_cast<std::uint64_t>(first_ts) + first_delta);
        if (second <= first_ts) return Corrupt("timestamps not increasing");
        dst[1].ts_ms = second;
    }

    BitReader reader(stream.data(), stream.size());
    if (count >= 3) MH_RETURN_IF_ERROR(DecodeTimestamps(reader, first_delta, dst, count));
    if (scaled) {
        const std::int64_t n0 = UnZigZag(first_value);
        if (n0 < -kMaxScaled || n0 > kMaxScaled) return Corrupt("scaled value out of range");
        MH_RETURN_IF_ERROR(DecodeScaled(reader, n0, kPow10[decimals], dst, count));
    } else {
        MH_RETURN_IF_ERROR(DecodeXor(reader, first_value, dst, count));
    }

    if (reader.Overrun()) return Corrupt("truncated bit stream");
    const std::uint64_t padding = reader.Remaining();
    if (padding >= 8) return Corrupt("trailing bytes");
    if (reader.Read(static_cast<unsigned>(padding)) != 0) return Corrupt("nonzero padding");
    return Ok();
}

}  // namespace

std::vector<std::uint8_t> EncodeChunk(std::span<const Sample> samples) {
    assert(!samples.empty() && samples.size() <= kMaxSamples);
    assert(std::adjacent_find(samples.begin(), samples.end(),
                              [](const Sample& a, const Sample& b) { return a.ts_ms >= b.ts_ms; }) == samples.end());
    assert(std::all_of(samples.begin(), samples.end(), [](const Sample& s) { return std::isfinite(s.value); }));

    std::vector<std::int64_t> scaled;
    const int decimals = ScaleValues(samples, scaled);

    std::vector<std::uint8_t> out;
    out.reserve(32 + samples.size() * (decimals >= 0 ? 3 : 9));
    out.push_back(kFormatVersion);
    PutVarint(out, samples.size());
    PutVarint(out, ZigZag(samples[0].ts_ms));
    out.push_back(decimals >= 0 ? static_cast<std::uint8_t>(kModeScaledDecimal | decimals) : kModeXor);
    if (samples.size() >= 2) {
        PutVarint(out, static_cast<std::uint64_t>(samples[1].ts_ms) - static_cast<std::uint64_t>(samples[0].ts_ms));
    }
    if (decimals >= 0) {
        PutVarint(out, ZigZag(scaled[0]));
    } else {
        PutFixed64(out, std::bit_cast<std::uint64_t>(samples[0].value));
    }

    BitWriter writer(out);
    if (samples.size() >= 3) EncodeTimestamps(writer, samples);
    if (decimals >= 0) {
        EncodeScaled(writer, scaled);
    } else {
        EncodeXor(writer, samples);
    }
    writer.Finish();
    return out;
}

Status DecodeChunk(std::span<const std::uint8_t> bytes, std::vector<Sample>& out) {
    const std::size_t original_size = out.size();
    Status status = DecodeInto(bytes, out);
    if (!status) out.resize(original_size);
    return status;
}

}  // namespace mh::tsdb
