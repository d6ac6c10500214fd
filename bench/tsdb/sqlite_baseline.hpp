// Raw SQLite next to the engine: Db, a minimal connection with prepared statements (Stmt) that throws Failure on
// any error; DiskUse/MeasureDisk, what a database file takes after its WAL is folded in; and RunSqliteBaselines,
// the bare (series, ts, value) table a user would otherwise write to, loaded by a plain loop of prepared INSERTs
// in series order and in time order. One Db per thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report.hpp"
#include "support.hpp"

namespace mh::bench {

class Db {
  public:
    explicit Db(const std::string& path);
    ~Db() { sqlite3_close_v2(db_); }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    void Exec(const std::string& sql);
    // Every row of a query, each column as a double (enough for pragmas and sums).
    std::vector<std::vector<double>> Rows(const std::string& sql);
    double One(const std::string& sql);
    sqlite3* get() const { return db_; }

    class Stmt {
      public:
        Stmt(Db& db, const std::string& sql);
        ~Stmt() { sqlite3_finalize(stmt_); }
        Stmt(const Stmt&) = delete;
        Stmt& operator=(const Stmt&) = delete;
        bool Step();
        void Reset() { sqlite3_reset(stmt_); }
        void Bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
        void Bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
        std::int64_t Int(int c) const { return sqlite3_column_int64(stmt_, c); }
        double Double(int c) const { return sqlite3_column_double(stmt_, c); }
        sqlite3_stmt* get() const { return stmt_; }

      private:
        Db& db_;
        sqlite3_stmt* stmt_ = nullptr;
    };

  private:
    sqlite3* db_ = nullptr;
};

// What a database file takes after its WAL is folded in: total, free pages, and bytes per table (dbstat).
struct DiskUse {
    double file_bytes = 0;
    double free_bytes = 0;
    std::map<std::string, double> by_table;  // bytes of pages, overflow pages included
    std::map<std::string, double> payload;   // bytes of row content in them
    std::optional<double> rollup_rows;       // for the engine's databases
};

DiskUse MeasureDisk(const std::string& path);

// (b) The bare table, 1,000 series, in series order and in time order: insert rate and file bytes per row.
void RunSqliteBaselines(Context& ctx, const fs::path& root);

}  // namespace mh::bench
