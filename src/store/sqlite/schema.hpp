// The SQLite schema: its versioned, forward-only migrations (docs/schema.md describes the tables), run by
// store/sql/migrate.hpp. Never edit a migration that has shipped: add a new one.
#pragma once

#include <span>

#include "store/sql/migrate.hpp"

namespace mh::store::sqlite {

std::span<const sql::Migration> Migrations();
int LatestSchemaVersion();

}  // namespace mh::store::sqlite
