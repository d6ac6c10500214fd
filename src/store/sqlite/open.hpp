// Opens a SQLite file as a store::Database (store/sql's repositories over a SqlitePool), running the pending
// migrations unless asked not to.
#pragma once

#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/sql/sql_database.hpp"

namespace mh::store::sqlite {

struct OpenOptions {
    bool read_only = false;  // no migrations, no writes (status and query commands)
    bool migrate = true;     // apply pending migrations at open
};

// Creates the file and its directory when missing (unless read-only). kNotFound for a missing file opened
// read-only; kFailedPrecondition for a schema this binary does not match and may not migrate.
Result<std::unique_ptr<sql::SqlDatabase>> Open(const std::string& path, const Clock& clock, IdGenerator& ids,
                                               OpenOptions options = {});

}  // namespace mh::store::sqlite
