// The differences between the SQL dialects meterhub speaks, each named once.
//
// Repositories write the SQL both SQLite 3.40 and PostgreSQL 15 accept (INSERT ... ON CONFLICT ... DO UPDATE,
// RETURNING, COALESCE, CASE, subqueries, `?` placeholders) and ask here for the few things spelled differently.
// Schema DDL is not shared: each backend keeps its own migrations (types and index options differ).
#pragma once

#include <string>
#include <string_view>

namespace mh::store::sql {

enum class Dialect { kSqlite, kPostgres };

const char* DialectName(Dialect dialect);

// The larger of two values: SQLite's two-argument MAX, PostgreSQL's GREATEST.
std::string Greatest(Dialect dialect, std::string_view a, std::string_view b);

// A hint that makes SQLite's planner use `index` for the table just named (" INDEXED BY x"); PostgreSQL's
// planner needs none (empty).
std::string IndexHint(Dialect dialect, std::string_view index);

}  // namespace mh::store::sql
