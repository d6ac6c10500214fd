#include "store/postgres/sample_journal.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <limits>

#include "store/postgres/connection.hpp"
#include "store/postgres/copy_binary.hpp"
#include "store/postgres/sample_notice.hpp"
#include "store/sql/repositories.hpp"

namespace mh::store::postgres {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr int kDaysAhead = 2;
constexpr std::string_view kPartitionPrefix = "samples_raw_";

// The pool hands out this driver's connections only (PostgresPool); COPY is not part of the portable layer.
Connection& Postgres(sql::Connection& connection) {
    return static_cast<Connection&>(connection);
}

std::int64_t DayStart(std::int64_t ms) {
    return ms >= 0 ? ms / kDayMs * kDayMs : (ms - kDayMs + 1) / kDayMs * kDayMs;
}

// Reads (ts, value, seq) rows ordered by ts then seq, keeping the last row of each timestamp.
Result<std::vector<JournalSample>> ReadRows(sql::Statement& statement) {
    std::vector<JournalSample> rows;
    for (;;) {
        MH_ASSIGN_OR_RETURN(bool row, statement.Step());
        if (!row) break;
        JournalSample sample{statement.Int(0), statement.Real(1)};
        if (!rows.empty() && rows.back().ts_ms == sample.ts_ms) {
            rows.back() = sample;
        } else {
            rows.push_back(sample);
        }
    }
    return rows;
}

constexpr const char* kReadRange =
    "SELECT ts, value FROM samples_raw WHERE series_id = ? AND ts >= ? AND ts <= ? ORDER BY ts, seq";

}  // namespace

std::string JournalPartitionName(std::int64_t day_start_ms) {
    using namespace std::chrono;
    const year_month_day day{sys_days{days{day_start_ms / kDayMs}}};
    char name[32];
    std::snprintf(name, sizeof(name), "%s%04d%02u%02u", kPartitionPrefix.data(), static_cast<int>(day.year()),
                  static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
    return name;
}

Status PostgresJournal::Append(std::span<const JournalRow> rows) {
    if (rows.empty()) return Ok();
    CopyBinary copy;
    for (const JournalRow& row : rows) {
        copy.Row(4);
        copy.Int8(row.series.value());
        copy.Int8(row.tenant.value());
        copy.Int8(row.ts_ms);
        copy.Float8(row.value);
    }
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(sql::Access::System()));
    MH_ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::Begin(*writer));
    // PostgreSQL refuses COPY FROM into a table under row-level security, so the rows go by COPY into this
    // connection's temporary table (emptied at each commit) and from there by one INSERT, which the policies check.
    MH_RETURN_IF_ERROR(
        writer->Exec("CREATE TEMP TABLE IF NOT EXISTS journal_stage (series_id bigint, tenant_id bigint, ts bigint, "
                     "value double precision) ON COMMIT DELETE ROWS"));
    MH_RETURN_IF_ERROR(Postgres(*writer).CopyIn(
        "COPY journal_stage (series_id, tenant_id, ts, value) FROM STDIN (FORMAT binary)", copy.Finish()));
    MH_RETURN_IF_ERROR(
        writer->Exec("INSERT INTO samples_raw (series_id, tenant_id, ts, value) "
                     "SELECT series_id, tenant_id, ts, value FROM journal_stage"));
    if (!origin_.empty()) {
        MH_ASSIGN_OR_RETURN(sql::Statement * notify,
                            writer->Cached("SELECT COUNT(*) FROM (SELECT pg_notify(?, ?)) AS sent"));
        for (const std::string& notice : EncodeSampleNotices(origin_, rows)) {
            MH_RETURN_IF_ERROR(notify->Reset().Bind(1, kSampleChannel).Bind(2, notice).Run());
        }
    }
    return tx.Commit();
}

Result<std::vector<JournalSample>> PostgresJournal::Read(SeriesId series, std::int64_t from_ms, std::int64_t to_ms) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(sql::Access::System()));
    MH_ASSIGN_OR_RETURN(sql::Statement * read, reader->Cached(kReadRange));
    read->Bind(1, series.value()).Bind(2, from_ms).Bind(3, to_ms);
    return ReadRows(*read);
}

Result<std::optional<JournalSample>> PostgresJournal::Latest(SeriesId series) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(sql::Access::System()));
    MH_ASSIGN_OR_RETURN(sql::Statement * latest, reader->Cached("SELECT ts, value FROM samples_raw WHERE series_id = ? "
                                                                "ORDER BY ts DESC, seq DESC LIMIT 1"));
    latest->Bind(1, series.value());
    MH_ASSIGN_OR_RETURN(bool row, latest->Step());
    if (!row) return std::optional<JournalSample>();
    return std::optional<JournalSample>(JournalSample{latest->Int(0), latest->Real(1)});
}

Result<std::vector<SeriesId>> PostgresJournal::SeriesToCompact(std::int64_t before_ms, int limit) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(sql::Access::System()));
    MH_ASSIGN_OR_RETURN(sql::Statement * list,
                        reader->Cached("SELECT DISTINCT series_id FROM samples_raw WHERE ts < ? LIMIT ?"));
    list->Bind(1, before_ms).Bind(2, std::int64_t{limit});
    std::vector<SeriesId> series;
    for (;;) {
        MH_ASSIGN_OR_RETURN(bool row, list->Step());
        if (!row) break;
        series.push_back(SeriesId(list->Int(0)));
    }
    return series;
}

Result<std::int64_t> PostgresJournal::Compact(SeriesId series, std::int64_t before_ms, const Planner& plan) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(sql::Access::System()));
    // One snapshot for the read and the delete (see the header).
    MH_ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::BeginSnapshot(*writer));
    MH_ASSIGN_OR_RETURN(sql::Statement * read, writer->Cached(kReadRange));
    read->Bind(1, series.value()).Bind(2, std::numeric_limits<std::int64_t>::min()).Bind(3, before_ms - 1);
    MH_ASSIGN_OR_RETURN(auto rows, ReadRows(*read));
    if (rows.empty()) return std::int64_t{0};
    MH_ASSIGN_OR_RETURN(ChunkWrite change, plan(rows));
    MH_RETURN_IF_ERROR(sql::WriteChunkChange(*writer, change));
    MH_ASSIGN_OR_RETURN(sql::Statement * del, writer->Cached("DELETE FROM samples_raw WHERE series_id = ? AND ts < ?"));
    MH_RETURN_IF_ERROR(del->Bind(1, series.value()).Bind(2, before_ms).Run());
    const std::int64_t moved = writer->Changes();
    MH_RETURN_IF_ERROR(tx.Commit());
    return moved;
}

Status PostgresJournal::Maintain(std::int64_t now_ms) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(sql::Access::Owner()));  // DDL: the owner's
    const std::int64_t today = DayStart(now_ms);
    for (int d = 0; d <= kDaysAhead; ++d) {
        const std::int64_t from = today + d * kDayMs;
        const std::string name = JournalPartitionName(from);
        MH_ASSIGN_OR_RETURN(auto exists, writer->Prepare("SELECT to_regclass('" + name + "') IS NOT NULL"));
        MH_ASSIGN_OR_RETURN(bool row, exists->Step());
        if (row && exists->Int(0) != 0) continue;
        // Fails when the default partition holds rows of that day (they arrived before it was made): the day
        // then stays in the default partition, which works, only slower to clean.
        // Made and held to its tenant's rows like its parent (migration 10) in one transaction, so that no one
        // ever finds the partition without row-level security.
        Status made = [&]() -> Status {
            MH_ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::Begin(*writer));
            MH_RETURN_IF_ERROR(writer->Exec("CREATE TABLE " + name + " PARTITION OF samples_raw FOR VALUES FROM (" +
                                            std::to_string(from) + ") TO (" + std::to_string(from + kDayMs) + ")"));
            MH_RETURN_IF_ERROR(writer->Exec("SELECT mh_enable_tenant_rls('" + name + "'::regclass)"));
            return tx.Commit();
        }();
        if (!made) spdlog::warn("journal partition {}: {}", name, made.error().message);
    }
    MH_ASSIGN_OR_RETURN(
        sql::Statement * list,
        writer->Cached("SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = 'samples_raw'::regclass AND c.relname <> "
                       "'samples_raw_default' AND c.relname::text < ? ORDER BY 1"));
    list->Bind(1, JournalPartitionName(today - kDayMs));  // days before yesterday
    std::vector<std::string> old;
    for (;;) {
        MH_ASSIGN_OR_RETURN(bool row, list->Step());
        if (!row) break;
        old.push_back(list->Text(0));
    }
    list->Reset();
    for (const std::string& name : old) {
        // Locked first, so no late row slips in between the check and the drop; a busy table is left for later.
        MH_ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::Begin(*writer));
        MH_RETURN_IF_ERROR(writer->Exec("SET LOCAL lock_timeout = '2s'"));
        if (auto locked = writer->Exec("LOCK TABLE " + name + " IN ACCESS EXCLUSIVE MODE"); !locked) continue;
        MH_ASSIGN_OR_RETURN(auto probe, writer->Prepare("SELECT 1 FROM " + name + " LIMIT 1"));
        MH_ASSIGN_OR_RETURN(bool has_rows, probe->Step());
        if (has_rows) continue;
        MH_RETURN_IF_ERROR(writer->Exec("DROP TABLE " + name));
        MH_RETURN_IF_ERROR(tx.Commit());
    }
    return Ok();
}

Result<std::int64_t> PostgresJournal::PendingRows() {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(sql::Access::System()));
    MH_ASSIGN_OR_RETURN(sql::Statement * count, reader->Cached("SELECT COUNT(*) FROM samples_raw"));
    MH_ASSIGN_OR_RETURN(bool row, count->Step());
    return row ? count->Int(0) : 0;
}

}  // namespace mh::store::postgres
