// The names row-level security on PostgreSQL is built from (docs/schema.md, "Row-level security"): the two
// roles the driver switches to per transaction and the setting that carries the tenant. Migration 10
// (schema.cpp) creates the roles and the policies that read the setting, spelling the same names.
#pragma once

namespace mh::store::postgres {

// Tenant-scoped work: not superuser, no BYPASSRLS, owns nothing; sees and writes the rows of the tenant set.
inline constexpr const char* kAppRole = "meterhub_app";
// The cross-tenant system paths: let through by a policy of its own on every tenant-owned table.
inline constexpr const char* kSystemRole = "meterhub_system";
// The tenant id a transaction acts for, set with set_config(kTenantSetting, id, true) (transaction-local).
inline constexpr const char* kTenantSetting = "mh.tenant";

}  // namespace mh::store::postgres
