// The SampleJournal on PostgreSQL (store/sample_journal.hpp): the samples_raw table of migration 9, partitioned
// by UTC day.
//
// Append sends the rows by binary COPY (through a temporary table: COPY into a table under row-level security is
// refused) and one INSERT, in one transaction with one commit. Compaction
// reads and deletes in one REPEATABLE READ transaction, so the DELETE removes exactly the rows the planner saw:
// rows other instances commit meanwhile are not in its snapshot, and stay. Maintain() makes the partitions of
// today and the next two days, and drops the partitions of days before yesterday once they are empty (a day's
// late rows, arriving after, land in the default partition). Thread-safe, as the Pool is.
#pragma once

#include <string>

#include "store/sample_journal.hpp"
#include "store/sql/pool.hpp"

namespace mh::store::postgres {

class PostgresJournal final : public SampleJournal {
  public:
    // `pool`: a PostgreSQL pool (store/postgres/pool.hpp) on a database migrated to version 10 or later. With an
    // `origin` (letters, digits, '-', '_'), each commit also notifies the other instances of its samples
    // (sample_notice.hpp) in the same transaction.
    explicit PostgresJournal(sql::Pool& pool, std::string origin = "") : pool_(pool), origin_(std::move(origin)) {}

    const std::string& origin() const { return origin_; }

    Status Append(std::span<const JournalRow> rows) override;
    Result<std::vector<JournalSample>> Read(SeriesId series, std::int64_t from_ms, std::int64_t to_ms) override;
    Result<std::optional<JournalSample>> Latest(SeriesId series) override;
    Result<std::vector<SeriesId>> SeriesToCompact(std::int64_t before_ms, int limit) override;
    Result<std::int64_t> Compact(SeriesId series, std::int64_t before_ms, const Planner& plan) override;
    Status Maintain(std::int64_t now_ms) override;
    Result<std::int64_t> PendingRows() override;

  private:
    sql::Pool& pool_;
    const std::string origin_;
};

// The partition of the UTC day containing day_start_ms: "samples_raw_20261203".
std::string JournalPartitionName(std::int64_t day_start_ms);

}  // namespace mh::store::postgres
