// Runs a backend's versioned, forward-only schema migrations (docs/schema.md describes the tables).
//
// Each migration runs once, in its own transaction, and is recorded in schema_migrations. A database whose
// version is newer than this binary knows is refused rather than guessed at. The DDL is the backend's own
// (store/sqlite/schema.cpp); the runner is shared.
#pragma once

#include <span>

#include "core/clock.hpp"
#include "store/sql/connection.hpp"

namespace mh::store::sql {

struct Migration {
    int version;
    const char* name;
    const char* sql;
};

// The version recorded in the database (0 for a new one); creates schema_migrations unless read-only.
Result<int> SchemaVersion(Connection& connection, bool read_only);

// Applies the missing migrations under the connection's schema lock (Connection::LockSchema); returns how many
// ran.
Result<int> Migrate(Connection& connection, std::span<const Migration> migrations, const Clock& clock);

}  // namespace mh::store::sql
