#include "store/sql/sql_database.hpp"

namespace mh::store::sql {

SqlDatabase::SqlDatabase(std::unique_ptr<Pool> pool, std::span<const Migration> migrations, const Clock& clock,
                         IdGenerator& ids, bool read_only)
    : pool_(std::move(pool)),
      migrations_(migrations),
      clock_(clock),
      read_only_(read_only),
      tenants_(*pool_, clock, ids),
      users_(*pool_, clock, ids),
      auth_(*pool_, clock, ids),
      devices_(*pool_, clock, ids),
      chunks_(*pool_),
      leases_(*pool_) {}

Result<int> SqlDatabase::SchemaVersion() {
    MH_ASSIGN_OR_RETURN(auto connection, read_only_ ? pool_->Read(Access::Owner()) : pool_->Write(Access::Owner()));
    return sql::SchemaVersion(*connection, read_only_);
}

int SqlDatabase::LatestSchemaVersion() const {
    return migrations_.empty() ? 0 : migrations_.back().version;
}

Result<int> SqlDatabase::Migrate() {
    if (read_only_) return MakeError(Errc::kFailedPrecondition, "the database is open read-only");
    MH_ASSIGN_OR_RETURN(auto writer, pool_->Write(Access::Owner()));
    return sql::Migrate(*writer, migrations_, clock_);
}

std::string SqlDatabase::Describe() const {
    return std::string(DialectName(pool_->dialect())) + " " + pool_->Location();
}

Repositories SqlDatabase::repositories() {
    return Repositories(tenants_, users_, auth_, devices_, chunks_, leases_);
}

}  // namespace mh::store::sql
