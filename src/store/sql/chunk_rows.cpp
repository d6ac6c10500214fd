// SqlChunks: the time-series engine's chunks and rollups.
#include "store/sql/queries.hpp"
#include "store/sql/repositories.hpp"

namespace mh::store::sql {
namespace {

constexpr std::string_view kRollupColumns =
    "series_id, tenant_id, resolution, bucket, count, min, max, sum, first_ts, first, last_ts, last, increase, "
    "integral";

RollupRow RollupFrom(const Statement& s) {
    RollupRow r;
    r.series = SeriesId{s.Int(0)};
    r.tenant = TenantId{s.Int(1)};
    r.resolution_s = static_cast<std::int32_t>(s.Int(2));
    r.bucket_ms = s.Int(3);
    r.count = s.Int(4);
    r.min = s.Real(5);
    r.max = s.Real(6);
    r.sum = s.Real(7);
    r.first_ts = s.Int(8);
    r.first = s.Real(9);
    r.last_ts = s.Int(10);
    r.last = s.Real(11);
    r.increase = s.Real(12);
    r.integral = s.Real(13);
    return r;
}

ChunkRow ChunkFrom(const Statement& s) {
    const auto blob = s.Blob(5);
    return ChunkRow{SeriesId{s.Int(0)}, TenantId{s.Int(1)}, s.Int(2), s.Int(3), s.Int(4), {blob.begin(), blob.end()}};
}

}  // namespace

Result<std::optional<SeriesInfo>> SqlChunks::LookupSeries(SeriesId id) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt, reader->Cached("SELECT s.tenant_id, s.kind, t.time_zone FROM series s "
                                                         "JOIN tenants t ON t.id = s.tenant_id WHERE s.id = ?"));
    stmt->Bind(1, id.value());
    MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return std::optional<SeriesInfo>();
    SeriesInfo info{id, TenantId{stmt->Int(0)}, ParseSeriesKind(stmt->Text(1)).value_or(SeriesKind::kGauge),
                    stmt->Text(2)};
    stmt->Reset();
    return std::optional<SeriesInfo>(std::move(info));
}

Result<std::vector<ChunkRow>> SqlChunks::ReadChunks(SeriesId series, std::int64_t from_ms, std::int64_t to_ms) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    // A chunk overlaps when it starts at or before `to` and ends at or after `from`. The primary key alone would
    // walk the series from its first chunk (a year of chunk data to answer "today"), so first the index on the
    // end gives the earliest start among the chunks that reach `from` (index entries only), and then the primary
    // key walks from there to `to`, in order.
    MH_ASSIGN_OR_RETURN(Statement * first,
                        reader->Cached(Sql({"SELECT MIN(start_ts) FROM chunks",
                                            IndexHint(reader->dialect(), "chunks_by_end"),
                                            " WHERE series_id = ? AND end_ts >= ?"})));
    first->Bind(1, series.value()).Bind(2, from_ms);
    MH_ASSIGN_OR_RETURN(bool found, first->Step());
    const bool none = !found || first->IsNull(0);
    const std::int64_t lowest_start = none ? 0 : first->Int(0);
    first->Reset();
    if (none || lowest_start > to_ms) return std::vector<ChunkRow>();
    return QueryAll(
        *reader,
        "SELECT series_id, tenant_id, start_ts, end_ts, count, data FROM chunks "
        "WHERE series_id = ? AND start_ts >= ? AND start_ts <= ? AND end_ts >= ? ORDER BY start_ts",
        [&](Statement& s) { s.Bind(1, series.value()).Bind(2, lowest_start).Bind(3, to_ms).Bind(4, from_ms); },
        &ChunkFrom);
}

Result<std::optional<ChunkRow>> SqlChunks::LastChunk(SeriesId series) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        reader->Cached("SELECT series_id, tenant_id, start_ts, end_ts, count, data FROM chunks "
                                       "WHERE series_id = ? ORDER BY start_ts DESC LIMIT 1"));
    stmt->Bind(1, series.value());
    MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return std::optional<ChunkRow>();
    ChunkRow chunk = ChunkFrom(*stmt);
    stmt->Reset();
    return std::optional<ChunkRow>(std::move(chunk));
}

Result<std::vector<RollupRow>> SqlChunks::ReadRollups(SeriesId series, std::int32_t resolution_s,
                                                        std::int64_t from_ms, std::int64_t to_ms) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    return QueryAll(
        *reader,
        Sql({"SELECT ", kRollupColumns,
             " FROM rollups WHERE series_id = ? AND resolution = ? AND bucket >= ? AND bucket < ? ORDER BY bucket"}),
        [&](Statement& s) {
            s.Bind(1, series.value()).Bind(2, std::int64_t{resolution_s}).Bind(3, from_ms).Bind(4, to_ms);
        },
        &RollupFrom);
}

Status SqlChunks::Write(const ChunkWrite& change, const CommitHooks& hooks) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*writer));
    MH_RETURN_IF_ERROR(WriteChunkChange(*writer, change));
    if (hooks.before_commit) hooks.before_commit();
    Status committed = tx.Commit();
    if (hooks.after_commit) hooks.after_commit(committed.has_value());
    return committed;
}

Status WriteChunkChange(Connection& writer, const ChunkWrite& change) {
    MH_ASSIGN_OR_RETURN(Statement * del, writer.Cached("DELETE FROM chunks WHERE series_id = ? AND start_ts = ?"));
    for (const auto& key : change.deletes) {
        del->Reset().Bind(1, key.series.value()).Bind(2, key.start_ms);
        MH_RETURN_IF_ERROR(del->Run());
    }
    // INSERT ... SELECT FROM series: a series deleted since its samples arrived is skipped, not an error.
    MH_ASSIGN_OR_RETURN(Statement * put,
                        writer.Cached("INSERT INTO chunks (series_id, start_ts, end_ts, tenant_id, count, data) "
                                       "SELECT id, ?, ?, tenant_id, ?, ? FROM series WHERE id = ? "
                                       "ON CONFLICT (series_id, start_ts) DO UPDATE SET end_ts = excluded.end_ts, "
                                       "count = excluded.count, data = excluded.data"));
    for (const auto& chunk : change.chunks) {
        put->Reset()
            .Bind(1, chunk.start_ms)
            .Bind(2, chunk.end_ms)
            .Bind(3, chunk.count)
            .Bind(4, std::span<const std::uint8_t>(chunk.data))
            .Bind(5, chunk.series.value());
        MH_RETURN_IF_ERROR(put->Run());
    }
    MH_ASSIGN_OR_RETURN(Statement * reset, writer.Cached("DELETE FROM rollups WHERE series_id = ? AND bucket >= ?"));
    for (const auto& r : change.rollup_resets) {
        reset->Reset().Bind(1, r.series.value()).Bind(2, r.from_ms);
        MH_RETURN_IF_ERROR(reset->Run());
    }
    // Merge: a row with count 0 carries only interval gains (increase, integral) and leaves the rest alone. The
    // existing row's columns are qualified (PostgreSQL finds bare names ambiguous with excluded's).
    MH_ASSIGN_OR_RETURN(
        Statement * rollup,
        writer.Cached(Sql({"INSERT INTO rollups (", kRollupColumns,
                             ") SELECT id, tenant_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM series WHERE id = ? "
                             "ON CONFLICT (series_id, resolution, bucket) DO UPDATE SET "
                             "min = CASE WHEN excluded.count > 0 AND (rollups.count = 0 OR excluded.min < rollups.min) "
                             "THEN excluded.min ELSE rollups.min END, "
                             "max = CASE WHEN excluded.count > 0 AND (rollups.count = 0 OR excluded.max > rollups.max) "
                             "THEN excluded.max ELSE rollups.max END, "
                             "first = CASE WHEN excluded.count > 0 AND "
                             "(rollups.count = 0 OR excluded.first_ts < rollups.first_ts) "
                             "THEN excluded.first ELSE rollups.first END, "
                             "first_ts = CASE WHEN excluded.count > 0 AND "
                             "(rollups.count = 0 OR excluded.first_ts < rollups.first_ts) "
                             "THEN excluded.first_ts ELSE rollups.first_ts END, "
                             "last = CASE WHEN excluded.count > 0 AND "
                             "(rollups.count = 0 OR excluded.last_ts > rollups.last_ts) "
                             "THEN excluded.last ELSE rollups.last END, "
                             "last_ts = CASE WHEN excluded.count > 0 AND "
                             "(rollups.count = 0 OR excluded.last_ts > rollups.last_ts) "
                             "THEN excluded.last_ts ELSE rollups.last_ts END, "
                             "count = rollups.count + excluded.count, sum = rollups.sum + excluded.sum, "
                             "increase = rollups.increase + excluded.increase, "
                             "integral = rollups.integral + excluded.integral"})));
    for (const auto& r : change.rollups) {
        rollup->Reset()
            .Bind(1, std::int64_t{r.resolution_s})
            .Bind(2, r.bucket_ms)
            .Bind(3, r.count)
            .Bind(4, r.min)
            .Bind(5, r.max)
            .Bind(6, r.sum)
            .Bind(7, r.first_ts)
            .Bind(8, r.first)
            .Bind(9, r.last_ts)
            .Bind(10, r.last)
            .Bind(11, r.increase)
            .Bind(12, r.integral)
            .Bind(13, r.series.value());
        MH_RETURN_IF_ERROR(rollup->Run());
    }
    return Ok();
}

Result<std::int64_t> SqlChunks::PurgeChunks(TenantId tenant, std::int64_t before_ms) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*writer));
    MH_ASSIGN_OR_RETURN(Statement * count,
                        writer->Cached("SELECT COALESCE(SUM(c.count), 0) FROM chunks c JOIN series s ON s.id = "
                                        "c.series_id WHERE s.tenant_id = ? AND c.end_ts < ?"));
    count->Bind(1, tenant.value()).Bind(2, before_ms);
    MH_ASSIGN_OR_RETURN(bool row, count->Step());
    const std::int64_t samples = row ? count->Int(0) : 0;
    count->Reset();
    MH_ASSIGN_OR_RETURN(Statement * del,
                        writer->Cached("DELETE FROM chunks WHERE series_id IN (SELECT id FROM series WHERE "
                                        "tenant_id = ?) AND end_ts < ?"));
    MH_RETURN_IF_ERROR(del->Bind(1, tenant.value()).Bind(2, before_ms).Run());
    MH_RETURN_IF_ERROR(tx.Commit());
    return samples;
}

Result<ChunkStore::Stats> SqlChunks::ChunkStats() {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        reader->Cached("SELECT COUNT(*), COALESCE(SUM(count), 0), COALESCE(SUM(LENGTH(data)), 0) "
                                       "FROM chunks"));
    MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    Stats stats;
    if (row) stats = Stats{stmt->Int(0), stmt->Int(1), stmt->Int(2)};
    stmt->Reset();
    return stats;
}

}  // namespace mh::store::sql
