// SqlDatabase: a Database whose repositories are store/sql's portable ones, over one backend's Pool and
// migrations. Backends open it (store/sqlite/open.hpp); it owns the pool and the repositories. Thread-safe.
#pragma once

#include <memory>
#include <span>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/database.hpp"
#include "store/sql/migrate.hpp"
#include "store/sql/repositories.hpp"

namespace mh::store::sql {

class SqlDatabase final : public Database {
  public:
    SqlDatabase(std::unique_ptr<Pool> pool, std::span<const Migration> migrations, const Clock& clock,
                IdGenerator& ids, bool read_only);

    Result<int> SchemaVersion() override;
    int LatestSchemaVersion() const override;
    Result<int> Migrate() override;
    std::string Describe() const override;
    Repositories repositories() override;

    Pool& pool() { return *pool_; }

  private:
    std::unique_ptr<Pool> pool_;
    std::span<const Migration> migrations_;
    const Clock& clock_;
    bool read_only_;
    SqlTenants tenants_;
    SqlUsers users_;
    SqlAuth auth_;
    SqlDevices devices_;
    SqlChunks chunks_;
    SqlLeases leases_;
};

}  // namespace mh::store::sql
