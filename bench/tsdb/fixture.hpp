// Fixture: a scratch directory holding a SqliteStore with one tenant and its power series on a FakeClock, from
// which a part opens the tsdb::Engine under test; and ReportDisk, the bytes-per-sample figures of a fixture's
// database after a run. A Fixture is used from the thread that made it; the engine it opens is thread-safe.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/tenant_scope.hpp"
#include "domain/access.hpp"
#include "report.hpp"
#include "store/sqlite/open.hpp"
#include "support.hpp"
#include "tsdb/engine.hpp"

namespace mh::bench {

class Fixture {
  public:
    Fixture(const fs::path& root, const std::string& name, std::int64_t now_ms);

    // `count` power series, `per_device` to a device (an inverter with its channels). Returns the seconds.
    double AddSeries(std::size_t count, std::size_t per_device);

    std::unique_ptr<tsdb::Engine> OpenEngine(tsdb::EngineOptions options);

    TenantScope scope() const { return domain::Access::ForOperator(tenant_.id); }
    const std::vector<SeriesId>& series() const { return series_; }
    store::sql::SqlDatabase& store() { return *store_; }
    std::string db_path() const { return (dir_.path() / "meterhub.db").string(); }
    fs::path log_dir() const { return dir_.path() / "meterhub.db-log"; }
    const fs::path& dir() const { return dir_.path(); }

  private:
    TempDir dir_;  // first: deleted last
    FakeClock clock_;
    IdGenerator ids_;
    std::unique_ptr<store::sql::SqlDatabase> store_;
    store::Tenant tenant_;
    std::vector<SeriesId> series_;
};

// The chunk, file, table and free-page bytes per sample of `fx`'s database, which must hold `samples` samples,
// as figures "bytes.<key>.*" labelled "<what>: ...".
void ReportDisk(Context& ctx, Fixture& fx, const std::string& key, const std::string& what, std::int64_t samples);

}  // namespace mh::bench
