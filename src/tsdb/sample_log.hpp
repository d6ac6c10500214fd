// SampleLog: the write-ahead log of the time-series engine (docs/log_format.md).
//
// A directory of numbered segment files (000000000001.log, ...). Append() writes one checksummed record
// holding a group of samples with a single write(), then fdatasync()s when `sync` is on: a sample is
// durable when Append() returns. Rotate() starts a new segment; after the samples of older segments are
// safely in chunks, DropThrough() deletes them. Open() takes an exclusive lock on the directory (one
// writer process); Replay() reads without the lock, for recovery and for read-only CLI queries.
//
// Not thread-safe: the engine's writer thread owns it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>

#include "core/result.hpp"
#include "tsdb/sample.hpp"

namespace mh::tsdb {

class SampleLog {
  public:
    struct Options {
        bool sync = true;  // fdatasync after each append
    };

    // Creates the directory if needed, takes the lock (Errc::kFailedPrecondition if another process holds
    // it), cuts a torn tail off the newest segment, and opens a fresh segment for appending.
    static Result<std::unique_ptr<SampleLog>> Open(const std::filesystem::path& dir, Options options);

    // Calls `visit` for each intact record's samples, oldest first, segment by segment. A torn or corrupt
    // record ends its segment (the tail of a crash); later segments are still read. Missing dir: no records.
    using Visitor = std::function<void(std::uint64_t segment, std::span<const SeriesSample> samples)>;
    static Status Replay(const std::filesystem::path& dir, const Visitor& visit);

    virtual ~SampleLog() = default;

    // One record, durable on return (when sync is on). An empty span writes nothing.
    virtual Status Append(std::span<const SeriesSample> samples) = 0;

    // Closes the current segment and opens the next; returns the number of the closed segment. Every
    // record appended before the call is in a segment numbered at most that.
    virtual Result<std::uint64_t> Rotate() = 0;

    // Deletes the segments numbered at most `segment` (never the open one).
    virtual Status DropThrough(std::uint64_t segment) = 0;

    // Bytes appended to the open segment.
    virtual std::uint64_t open_segment_bytes() const = 0;
    virtual std::uint64_t open_segment() const = 0;
};

}  // namespace mh::tsdb
