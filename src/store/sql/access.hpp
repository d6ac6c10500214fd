// Access: on whose behalf the statements of one connection lease run.
//
// Every lease a repository takes names one: a tenant (made only from a TenantScope, so a repository cannot invent
// one from a raw id), the system (the cross-tenant paths: collectors' serial lookups, API-key lookup at ingest,
// leases, retention, the chunk store, users and sessions, admin listings), or the owner (migrations and schema
// reads, as the role the URL logs in with). On PostgreSQL the driver turns it into a role and a tenant per
// transaction, and row-level security holds each tenant to its rows (docs/design.md, "Row-level security");
// SQLite ignores it. A value type: thread-safe.
#pragma once

#include <cstdint>

#include "core/tenant_scope.hpp"

namespace mh::store::sql {

class Access {
  public:
    enum class Kind { kOwner, kSystem, kTenant };

    static Access Tenant(const TenantScope& scope) { return Access(Kind::kTenant, scope.tenant().value()); }
    static Access System() { return Access(Kind::kSystem, 0); }
    static Access Owner() { return Access(Kind::kOwner, 0); }

    Kind kind() const { return kind_; }
    // The tenant's id; 0 unless kind() is kTenant.
    std::int64_t tenant() const { return tenant_; }

  private:
    Access(Kind kind, std::int64_t tenant) : kind_(kind), tenant_(tenant) {}
    Kind kind_;
    std::int64_t tenant_;
};

}  // namespace mh::store::sql
