// Definitions for setup.hpp.
#include "setup.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include "../tsdb/data.hpp"
#include "../tsdb/support.hpp"
#include "domain/access.hpp"
#include "store/postgres/open.hpp"
#include "store/postgres/sample_journal.hpp"

namespace mh::bench {
namespace {

constexpr std::size_t kSeriesPerDevice = 50;

}  // namespace

Pg::Pg(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
        const std::string message = PQerrorMessage(conn_);
        PQfinish(conn_);
        throw Failure("connect to " + url + ": " + message);
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);  // "does not exist, skipping" and the like
}

Pg::~Pg() {
    PQfinish(conn_);
}

void Pg::Exec(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    if (!ok) throw Failure(sql + ": " + PQerrorMessage(conn_));
}

std::string Pg::Value(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    const bool ok = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0;
    std::string value = ok ? PQgetvalue(result, 0, 0) : "";
    PQclear(result);
    if (!ok) throw Failure(sql + ": " + PQerrorMessage(conn_));
    return value;
}

Setup::Setup(const std::string& url, std::size_t series, std::size_t samples_per_series)
    : url_(url),
      clock_(FromMillis(kT0 + static_cast<std::int64_t>(samples_per_series) * kMinuteMs + kDayMs)),
      ids_(clock_, 1),
      admin_(url) {
    store_ = Must(store::postgres::Open(url, clock_, ids_, {}), "open the meterhub store on " + url);
    tenant_ = Must(store_->tenants().CreateTenant({"bench", "Europe/Berlin", 730}), "create tenant").id;
    store::Device device;
    for (std::size_t i = 0; i < series; ++i) {
        if (i % kSeriesPerDevice == 0) {
            const std::size_t d = i / kSeriesPerDevice;
            device = Must(store_->devices().CreateDevice(scope(), {fmt::format("inverter {}", d), "generic",
                                                                   fmt::format("SN{:08d}", d), "bench", ""}),
                          "create device");
        }
        series_.push_back(
            Must(store_->devices().EnsureSeries(scope(), {device.id, fmt::format("power.{}", i % kSeriesPerDevice), "W",
                                                          store::SeriesKind::kGauge}),
                 "create series")
                .id);
    }
    // The days the rows fall on get their partitions, as the compaction job keeps them ready in production;
    // otherwise every row would land in the default partition.
    store::postgres::PostgresJournal journal(store_->pool());
    Must(journal.Maintain(kT0), "make the journal's partitions");

    rows_.reserve(series * samples_per_series);
    for (std::size_t k = 0; k < samples_per_series; ++k) {
        const std::int64_t ts = kT0 + static_cast<std::int64_t>(k) * kMinuteMs;
        for (std::size_t i = 0; i < series; ++i) {
            rows_.push_back(Row{series_[i].value(), tenant_.value(), ts, PowerCurve(i, ts)});
        }
    }
}

TenantScope Setup::scope() const {
    return domain::Access::ForOperator(tenant_);
}

void Setup::Reset(const std::string& table) {
    admin_.Exec("TRUNCATE " + table);
    admin_.Exec("CHECKPOINT");
}

std::int64_t Setup::CountRows(const std::string& table) {
    return std::stoll(admin_.Value("SELECT count(*) FROM " + table));
}

void Setup::MakeUnindexed() {
    const std::string table = kUnindexed;
    admin_.Exec("DROP TABLE IF EXISTS " + table);
    admin_.Exec("CREATE TABLE " + table + " (LIKE samples_raw INCLUDING DEFAULTS) PARTITION BY RANGE (ts)");
    admin_.Exec("CREATE TABLE " + table + "_default PARTITION OF " + table + " DEFAULT");
    const std::int64_t first = kT0 / kDayMs * kDayMs;
    for (std::int64_t day = first; day <= rows_.back().ts_ms; day += kDayMs) {
        admin_.Exec(fmt::format("CREATE TABLE {}_{} PARTITION OF {} FOR VALUES FROM ({}) TO ({})", table,
                                (day - first) / kDayMs, table, day, day + kDayMs));
    }
}

void Setup::DropUnindexed() {
    admin_.Exec(std::string("DROP TABLE IF EXISTS ") + kUnindexed);
}

std::string Setup::ServerSettings() {
    std::string out = admin_.Value("SELECT version()");
    out = out.substr(0, out.find(" on "));
    for (const char* name : {"fsync", "synchronous_commit", "wal_sync_method", "full_page_writes", "shared_buffers",
                             "max_wal_size", "wal_level"}) {
        out += fmt::format(", {}={}", name, admin_.Value(fmt::format("SHOW {}", name)));
    }
    return out;
}

}  // namespace mh::bench
