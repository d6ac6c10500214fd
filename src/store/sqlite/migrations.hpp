// Versioned, forward-only schema migrations for the SQLite store (docs/schema.md describes the tables).
//
// Each migration runs once, in its own transaction, and is recorded in schema_migrations. A database
// whose version is newer than this binary knows is refused rather than guessed at.
#pragma once

#include <span>

#include "core/clock.hpp"
#include "store/sqlite/connection.hpp"

namespace mh::store::sqlite {

struct Migration {
    int version;
    const char* name;
    const char* sql;
};

std::span<const Migration> Migrations();
int LatestSchemaVersion();

// The version recorded in the database (0 for a new file).
Result<int> SchemaVersion(Connection& connection);

// Applies the missing migrations; returns how many ran.
Result<int> Migrate(Connection& connection, const Clock& clock);

}  // namespace mh::store::sqlite
