#include "store/postgres/open.hpp"

#include "store/postgres/pool.hpp"
#include "store/postgres/schema.hpp"

namespace mh::store::postgres {

Result<std::unique_ptr<sql::SqlDatabase>> Open(const std::string& url, const Clock& clock, IdGenerator& ids,
                                               OpenOptions options) {
    MH_ASSIGN_OR_RETURN(auto pool,
                        PostgresPool::Open(url, {options.max_connections, options.acquire_timeout, options.read_only}));
    const std::string location = pool->Location();
    auto database = std::make_unique<sql::SqlDatabase>(std::move(pool), Migrations(), clock, ids, options.read_only);
    if (options.migrate && !options.read_only) {
        MH_RETURN_IF_ERROR(database->Migrate());  // reads the version under the lock, then applies the rest
        return database;
    }
    MH_ASSIGN_OR_RETURN(int version, database->SchemaVersion());
    if (version != LatestSchemaVersion()) {
        return MakeError(Errc::kFailedPrecondition, "database " + location + " is at schema version " +
                                                        std::to_string(version) + ", this meterhub needs " +
                                                        std::to_string(LatestSchemaVersion()) +
                                                        " (run `meterhub db migrate`)");
    }
    return database;
}

}  // namespace mh::store::postgres
