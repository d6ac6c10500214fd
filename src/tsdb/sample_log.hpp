// SampleLog: the write-ahead log of the time-series engine (docs/log_format.md).
//
// A directory of numbered segment files (000000000001.log, ...). Append() writes one checksummed record
// holding a group of samples with a single write(), then fdatasync()s when `sync` is on: a sample is
// durable when Append() returns. Rotate() starts a new segment; after the samples of older segments are
// safely in chunks, DropThrough() deletes them. Open() takes an exclusive lock on the directory (one
// writer process); Replay() reads without the lock, for recovery and for read-only CLI queries.
//
// Crash model: a crash mid-append leaves at most one torn record, at the end of the newest segment, because
// appends only ever go to a segment this process created and a failed write is cut off again (ftruncate)
// before anything else is written (and Rotate syncs the segment it closes). Failures come back as Errors
// (I/O: Errc::kUnavailable with the strerror text), not exceptions; only the visitor's own exceptions pass
// through Replay.
//
// Every file operation goes through a LogEnv (tsdb/log_env.hpp; the real system calls unless Options::env says
// otherwise), so tests can make a write, a sync or a truncate fail.
//
// Not thread-safe: the engine's writer thread owns it. Replay() is a static function and may run in any
// process at any time, also while a writer appends (it then may warn about the record being written).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>

#include "core/result.hpp"
#include "tsdb/log_env.hpp"
#include "tsdb/sample.hpp"

namespace mh::tsdb {

class SampleLog {
  public:
    struct Options {
        bool sync = true;  // fdatasync after each append
        // Zero-fill the open segment this far ahead of its last record. fdatasync after an append that grows
        // the file must also commit the new size to the file system's journal; an append into bytes that
        // already exist is a data-only flush (about 1.4x the synced appends per second on this kind of
        // machine; bench/README.md). Replay reads a record header of eight zero bytes as the end. 0: off.
        std::uint64_t preallocate_bytes = 0;
        // The file operations; null: LogEnv::Default(). Must outlive the log.
        LogEnv* env = nullptr;
    };

    // Creates the directory if needed, takes the lock (Errc::kFailedPrecondition if another process holds
    // it), cuts a torn tail off the newest segment, and opens a fresh segment, numbered one past the newest
    // existing one, for appending. The lock (flock on dir/LOCK) is per open file description: a second Open
    // of the same directory fails even within one process. Released when the object is destroyed.
    static Result<std::unique_ptr<SampleLog>> Open(const std::filesystem::path& dir, Options options);

    // Calls `visit` for each intact record's samples, oldest first, segment by segment. A torn or corrupt
    // record ends its segment (the tail of a crash) with a spdlog warning; later segments are still read.
    // Missing dir: no records. Errors: kUnavailable for I/O failures, kFailedPrecondition for a segment in a
    // format version this build cannot read (refused rather than skipped, so a downgrade loses nothing
    // silently). `samples` is only valid during the call (a reused buffer). Memory use is bounded by the
    // largest record, not by the log's size.
    using Visitor = std::function<void(std::uint64_t segment, std::span<const SeriesSample> samples)>;
    static Status Replay(const std::filesystem::path& dir, const Visitor& visit, LogEnv& env = LogEnv::Default());

    virtual ~SampleLog() = default;

    // One record, durable on return (when sync is on). An empty span writes nothing. More samples than a
    // record may hold (log_format::kMaxSamplesPerRecord) become several records, one write() each, and one
    // fdatasync for all. On failure nothing of this call stays in the log (short of a crash during it);
    // after a failed fdatasync, or if cutting off a failed write failed, the log refuses every later Append
    // and Rotate (kUnavailable) and must be reopened.
    virtual Status Append(std::span<const SeriesSample> samples) = 0;

    // Closes the current segment and opens the next; returns the number of the closed segment. Every
    // record appended before the call is in a segment numbered at most that. The closed segment is
    // fdatasync'ed even when `sync` is off. On failure the current segment stays open.
    virtual Result<std::uint64_t> Rotate() = 0;

    // Deletes the segments numbered at most `segment` (never the open one), including leftovers of earlier
    // runs; already-deleted ones are fine.
    virtual Status DropThrough(std::uint64_t segment) = 0;

    // Bytes of records appended to the open segment (0 right after Open or Rotate; the file header is not
    // counted). The engine compares it with its rotation threshold.
    virtual std::uint64_t open_segment_bytes() const = 0;
    virtual std::uint64_t open_segment() const = 0;

    // Ok, or why every Append and Rotate is refused now (the kUnavailable they return). Owner's thread only.
    virtual Status Health() const = 0;
};

}  // namespace mh::tsdb
