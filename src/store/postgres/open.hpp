// Opens a PostgreSQL database as a store::Database (store/sql's repositories over a PostgresPool), running the
// pending migrations unless asked not to.
//
// Migrations run under a session advisory lock (sql::Connection::LockSchema), so instances starting at once
// migrate once: the first applies them, the others wait and find none left.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/sql/sql_database.hpp"

namespace mh::store::postgres {

struct OpenOptions {
    bool read_only = false;  // no migrations, no writes (status and query commands)
    bool migrate = true;     // apply pending migrations at open
    int max_connections = 8;
    std::chrono::milliseconds acquire_timeout{5000};  // a lease waits this long for a busy pool
};

// `url`: postgresql://user:password@host:port/dbname (or a libpq key=value string). kUnavailable when the server
// cannot be reached; kFailedPrecondition for a schema this binary does not match and may not migrate.
Result<std::unique_ptr<sql::SqlDatabase>> Open(const std::string& url, const Clock& clock, IdGenerator& ids,
                                               OpenOptions options = {});

}  // namespace mh::store::postgres
