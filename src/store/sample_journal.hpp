// SampleJournal: where the shared time-series engine (tsdb/shared_engine.hpp) keeps acknowledged samples until
// they are compacted into chunks, in the database every instance shares (PostgreSQL: store/postgres/
// sample_journal.hpp).
//
// Like ChunkStore, this is the engine's container, keyed by series and below the engine's scope checks. A row
// appended is committed when Append returns; a series may hold several rows of one timestamp (a sample sent
// twice, or corrected), and the one appended last wins. Compaction hands a series' cold rows to the engine,
// which turns them into a chunk change, and writes that change and deletes exactly those rows in one
// transaction, so a sample is always in one place or the other, never lost and never counted twice, even while
// other instances append. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "store/chunk_store.hpp"
#include "store/records.hpp"

namespace mh::store {

struct JournalRow {
    SeriesId series;
    TenantId tenant;
    std::int64_t ts_ms = 0;
    double value = 0;
};

struct JournalSample {
    std::int64_t ts_ms = 0;
    double value = 0;
};

class SampleJournal {
  public:
    virtual ~SampleJournal() = default;

    // Stores the rows in one commit; durable when it returns Ok.
    virtual Status Append(std::span<const JournalRow> rows) = 0;
    // The series' rows with from_ms <= ts <= to_ms, in time order, one per timestamp (the last appended).
    virtual Result<std::vector<JournalSample>> Read(SeriesId series, std::int64_t from_ms, std::int64_t to_ms) = 0;
    // The series' newest row by timestamp.
    virtual Result<std::optional<JournalSample>> Latest(SeriesId series) = 0;

    // Series with rows older than before_ms, at most `limit`.
    virtual Result<std::vector<SeriesId>> SeriesToCompact(std::int64_t before_ms, int limit) = 0;
    // In one transaction: reads the series' rows with ts < before_ms (as Read does), asks `plan` what they make
    // of the chunk store, writes that change, deletes those rows and commits. Rows appended meanwhile stay for
    // the next time. Returns how many rows went; 0 (and no call of `plan`) when there were none.
    using Planner = std::function<Result<ChunkWrite>(std::span<const JournalSample> rows)>;
    virtual Result<std::int64_t> Compact(SeriesId series, std::int64_t before_ms, const Planner& plan) = 0;
    // Housekeeping at `now_ms`: storage prepared ahead for the coming days, emptied storage of past ones freed.
    virtual Status Maintain(std::int64_t now_ms) = 0;
    // Rows waiting for compaction (for `meterhub db status` and /metrics).
    virtual Result<std::int64_t> PendingRows() = 0;
};

}  // namespace mh::store
