// Chunk codec: a run of one series' samples as a compact, self-describing byte string (docs/chunk_format.md).
//
// Pure functions, no I/O. Timestamps are stored as delta-of-delta bit codes (a regular interval costs one
// bit a sample); values as scaled-decimal integer deltas when every value in the chunk is an exact decimal
// with few fractional digits (what meters report), else as Gorilla-style XOR'd doubles. Decoding is
// bounds-checked: corrupt or truncated input yields Errc::kDataLoss, never a crash or a read past the end.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "tsdb/sample.hpp"

namespace mh::tsdb {

// `samples` must be non-empty, at most 1,000,000 long, strictly increasing in ts_ms, with finite values
// (checked by assert only: the engine validates input before it gets here). Decoding gives back the same
// timestamps and the same value bits.
std::vector<std::uint8_t> EncodeChunk(std::span<const Sample> samples);

// Appends the decoded samples to `out`. On error (Errc::kDataLoss: corrupt, truncated or not a chunk) `out`
// is left as it was.
Status DecodeChunk(std::span<const std::uint8_t> bytes, std::vector<Sample>& out);

}  // namespace mh::tsdb
