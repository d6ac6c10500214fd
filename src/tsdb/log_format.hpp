// Constants of the sample log's on-disk format (docs/log_format.md). Changing any of them changes the
// format: bump kLogVersion and keep a reader for the old one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mh::tsdb::log_format {

// Every segment starts with kFileHeaderSize bytes: kMagic, then kVersion as a little-endian u32.
inline constexpr std::array<std::uint8_t, 4> kMagic = {'M', 'H', 'S', 'L'};
inline constexpr std::uint32_t kVersion = 1;
inline constexpr std::size_t kFileHeaderSize = 8;

// Record = [u32 payload length][u32 crc32 of the length bytes and the payload][payload], little-endian.
inline constexpr std::size_t kRecordHeaderSize = 8;

// A reader trusts no length larger than this, so a corrupt length field cannot make it allocate gigabytes.
inline constexpr std::uint32_t kMaxRecordPayload = 64u << 20;

// Unsigned LEB128 of a 64-bit value takes at most 10 bytes.
inline constexpr std::size_t kMaxVarintBytes = 10;

// Per sample: series id varint (1..10 bytes), zigzag timestamp delta varint (1..10), value bits (8).
inline constexpr std::size_t kMinSampleBytes = 1 + 1 + 8;
inline constexpr std::size_t kMaxSampleBytes = kMaxVarintBytes + kMaxVarintBytes + 8;

// The writer splits an append into records of at most this many samples. Sized for the worst case so that
// a record never exceeds kMaxRecordPayload, which also bounds a reader's decoded batch (~55 MiB).
inline constexpr std::size_t kMaxSamplesPerRecord = (kMaxRecordPayload - kMaxVarintBytes) / kMaxSampleBytes;

// Segment files: kSegmentDigits zero-padded decimal digits + kSegmentSuffix, e.g. 000000000001.log.
inline constexpr std::size_t kSegmentDigits = 12;
inline constexpr std::string_view kSegmentSuffix = ".log";
inline constexpr std::uint64_t kMaxSegmentNumber = 999'999'999'999;

// Held with flock(LOCK_EX) by the one process that writes the directory.
inline constexpr std::string_view kLockFileName = "LOCK";

}  // namespace mh::tsdb::log_format
