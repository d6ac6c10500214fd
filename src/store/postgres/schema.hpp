// The PostgreSQL schema: the same versioned, forward-only migrations as store/sqlite/schema.cpp (the same
// tables, columns, keys, indexes and cascades; docs/schema.md), in PostgreSQL's DDL, run by store/sql/migrate.hpp.
// Never edit a migration that has shipped: add a new one, to both backends.
#pragma once

#include <span>

#include "store/sql/migrate.hpp"

namespace mh::store::postgres {

std::span<const sql::Migration> Migrations();
int LatestSchemaVersion();

}  // namespace mh::store::postgres
