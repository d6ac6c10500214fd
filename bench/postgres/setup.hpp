// The PostgreSQL ingest bench's shared ground: Setup opens the meterhub store on the bench's database (migrated,
// one tenant, `series` power series on devices of 50), and holds the rows every part writes: samples in time order
// over all series (every series at t, then t + 60 s ...), power-curve values, as the (series, tenant, ts, value)
// of samples_raw. Admin is a bare libpq connection for what is no part of any measurement: emptying the table
// between parts, CHECKPOINT, counting rows, the server's settings. Pg is a small RAII wrapper of a libpq
// connection the baselines use. Not thread-safe: the main thread builds and uses them; the rows are read-only
// once built.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/tenant_scope.hpp"
#include "store/sql/sql_database.hpp"

struct pg_conn;

namespace mh::bench {

// One row of samples_raw as the parts write it (seq comes from the table's default in every part).
struct Row {
    std::int64_t series = 0;
    std::int64_t tenant = 0;
    std::int64_t ts_ms = 0;
    double value = 0;
};

// A libpq connection, closed with its owner. Construction fails (Failure) when it cannot connect.
class Pg {
  public:
    explicit Pg(const std::string& url);
    ~Pg();
    Pg(const Pg&) = delete;
    Pg& operator=(const Pg&) = delete;
    pg_conn* get() const { return conn_; }

    // Runs a command that returns no rows; Failure when it fails.
    void Exec(const std::string& sql);
    // The first column of the first row of a query, as text; Failure when it fails or returns no row.
    std::string Value(const std::string& sql);

  private:
    pg_conn* conn_;
};

class Setup {
  public:
    // `url`: the bench's database (created and owned by the superuser). Creates `series` series and the rows of
    // `samples_per_series` samples each, one a minute from kT0.
    Setup(const std::string& url, std::size_t series, std::size_t samples_per_series);

    const std::string& url() const { return url_; }
    const std::vector<Row>& rows() const { return rows_; }
    const std::vector<SeriesId>& series() const { return series_; }
    TenantScope scope() const;
    store::sql::SqlDatabase& store() { return *store_; }
    const Clock& clock() const { return clock_; }

    // Empties `table` and checkpoints, so each part starts from the same empty table with nothing dirty.
    void Reset(const std::string& table = "samples_raw");
    // Rows in `table` now.
    std::int64_t CountRows(const std::string& table = "samples_raw");
    // Creates kUnindexed: samples_raw's columns, defaults and day partitions for the rows, but no index. Where the
    // time goes: the ceiling without the (series_id, ts) index the journal's reads need. Dropped with DropUnindexed.
    void MakeUnindexed();
    void DropUnindexed();
    static constexpr const char* kUnindexed = "bench_samples_unindexed";
    // "fsync=on, synchronous_commit=on, ...": what the measured figures depend on.
    std::string ServerSettings();

  private:
    std::string url_;
    FakeClock clock_;  // after the last row, so that the engine accepts every timestamp
    IdGenerator ids_;
    std::unique_ptr<store::sql::SqlDatabase> store_;
    TenantId tenant_;
    std::vector<SeriesId> series_;
    std::vector<Row> rows_;
    Pg admin_;
};

}  // namespace mh::bench
