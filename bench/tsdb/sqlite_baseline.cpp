// Definitions for sqlite_baseline.hpp: the Db wrapper, the file-size measurement and the bare-table insert loops.
#include "sqlite_baseline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "data.hpp"

namespace mh::bench {

Db::Db(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw Failure("sqlite3_open " + path + ": " + message);
    }
    sqlite3_busy_timeout(db_, 10'000);
}

void Db::Exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        const std::string message = error != nullptr ? error : sqlite3_errmsg(db_);
        sqlite3_free(error);
        throw Failure("sqlite: " + sql + ": " + message);
    }
}

std::vector<std::vector<double>> Db::Rows(const std::string& sql) {
    Stmt stmt(*this, sql);
    std::vector<std::vector<double>> rows;
    while (stmt.Step()) {
        std::vector<double> row;
        for (int c = 0; c < sqlite3_column_count(stmt.get()); ++c) row.push_back(stmt.Double(c));
        rows.push_back(std::move(row));
    }
    return rows;
}

double Db::One(const std::string& sql) {
    auto rows = Rows(sql);
    if (rows.empty() || rows.front().empty()) throw Failure("sqlite: no row from " + sql);
    return rows.front().front();
}

Db::Stmt::Stmt(Db& db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
        throw Failure("sqlite prepare: " + sql + ": " + sqlite3_errmsg(db.get()));
    }
}

bool Db::Stmt::Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Failure(std::string("sqlite step: ") + sqlite3_errmsg(db_.get()));
}

DiskUse MeasureDisk(const std::string& path) {
    Db db(path);
    auto checkpoint = db.Rows("PRAGMA wal_checkpoint(TRUNCATE)");
    if (!checkpoint.empty() && checkpoint.front().front() != 0) {
        fmt::print("  (warning: wal_checkpoint(TRUNCATE) was blocked by a reader; the WAL is not counted)\n");
    }
    DiskUse use;
    const double page_size = db.One("PRAGMA page_size");
    use.file_bytes = db.One("PRAGMA page_count") * page_size;
    use.free_bytes = db.One("PRAGMA freelist_count") * page_size;
    try {
        Db::Stmt stmt(db, "SELECT name, SUM(pgsize), SUM(payload) FROM dbstat GROUP BY name");
        while (stmt.Step()) {
            const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
            use.by_table[name] = stmt.Double(1);
            use.payload[name] = stmt.Double(2);
        }
    } catch (const Failure&) {
        // SQLite built without dbstat: only the totals then.
    }
    if (db.One("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'rollups'") > 0) {
        use.rollup_rows = db.One("SELECT COUNT(*) FROM rollups");
    }
    return use;
}

namespace {

// (b) A bare C loop of prepared INSERTs, WAL + synchronous=NORMAL, 1,000 rows a transaction.
struct SqliteInsert {
    double rows_per_s = 0;
    double bytes_per_row = 0;
};

SqliteInsert BareSqliteInsert(const fs::path& dir, int series, std::int64_t rows, bool time_order) {
    const std::int64_t steps = std::max<std::int64_t>(1, rows / series);
    rows = steps * series;
    std::vector<double> values(static_cast<std::size_t>(rows));  // [series][step], generated before timing
    for (int s = 0; s < series; ++s) {
        for (std::int64_t t = 0; t < steps; ++t) {
            values[static_cast<std::size_t>(s * steps + t)] =
                PowerCurve(static_cast<std::size_t>(s), kT0 + t * kMinuteMs);
        }
    }
    const std::string path = (dir / (time_order ? "bare-time.db" : "bare-series.db")).string();
    SqliteInsert result;
    {
        Db db(path);
        db.Exec("PRAGMA journal_mode = WAL");
        db.Exec("PRAGMA synchronous = NORMAL");
        db.Exec("CREATE TABLE s(series INTEGER, ts INTEGER, value REAL, PRIMARY KEY(series, ts)) WITHOUT ROWID");
        Db::Stmt insert(db, "INSERT INTO s(series, ts, value) VALUES (?, ?, ?)");
        int in_transaction = 0;
        auto add = [&](int s, std::int64_t t) {
            insert.Bind(1, std::int64_t{s + 1});
            insert.Bind(2, kT0 + t * kMinuteMs);
            insert.Bind(3, values[static_cast<std::size_t>(s * steps + t)]);
            insert.Step();
            insert.Reset();
            if (++in_transaction == 1000) {
                db.Exec("COMMIT");
                db.Exec("BEGIN");
                in_transaction = 0;
            }
        };
        const auto start = SteadyClock::now();
        db.Exec("BEGIN");
        if (time_order) {
            for (std::int64_t t = 0; t < steps; ++t) {
                for (int s = 0; s < series; ++s) add(s, t);
            }
        } else {
            for (int s = 0; s < series; ++s) {
                for (std::int64_t t = 0; t < steps; ++t) add(s, t);
            }
        }
        db.Exec("COMMIT");
        result.rows_per_s = static_cast<double>(rows) / Seconds(SteadyClock::now() - start);
    }
    result.bytes_per_row = MeasureDisk(path).file_bytes / static_cast<double>(rows);
    fs::remove(path);
    return result;
}

}  // namespace

void RunSqliteBaselines(Context& ctx, const fs::path& root) {
    fmt::print("\n[sqlite] bare table, WAL + synchronous=NORMAL, 1,000 rows per transaction, 1,000 series\n");
    TempDir dir(root, "sqlite");
    const std::int64_t time_rows = ctx.options.Scaled(1'000'000, 10'000);
    const std::int64_t series_rows = ctx.options.Scaled(5'000'000, 10'000);
    auto series_order = BareSqliteInsert(dir.path(), 1000, series_rows, false);
    ctx.report.Add("sqlite.series_order.rows_per_s",
                   fmt::format("SQLite bare table, series order, {} rows: insert rate",
                               Report::Number(static_cast<double>(series_rows))),
                   series_order.rows_per_s, "rows/s");
    ctx.report.Add("sqlite.series_order.bytes_per_row", "SQLite bare table, series order: file bytes per row",
                   series_order.bytes_per_row, "B/row");
    auto time_order = BareSqliteInsert(dir.path(), 1000, time_rows, true);
    ctx.report.Add("sqlite.time_order.rows_per_s",
                   fmt::format("SQLite bare table, time order, {} rows: insert rate",
                               Report::Number(static_cast<double>(time_rows))),
                   time_order.rows_per_s, "rows/s");
    ctx.report.Add("sqlite.time_order.bytes_per_row", "SQLite bare table, time order: file bytes per row",
                   time_order.bytes_per_row, "B/row");
}

}  // namespace mh::bench
