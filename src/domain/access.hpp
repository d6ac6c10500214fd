// Access: the only maker of TenantScopes (see core/tenant_scope.hpp).
//
// A user acts in a tenant through a membership, or anywhere as a system administrator. The operator at the
// command line, who can read the database file anyway, acts as system administrator: `ForOperator` is for
// the CLI and for the server's own services (the demo, collectors that resolve a device to its tenant).
#pragma once

#include "core/result.hpp"
#include "core/tenant_scope.hpp"
#include "store/database.hpp"

namespace mh::domain {

class Access {
  public:
    explicit Access(store::Repositories store) : store_(store) {}

    // The user's scope in the tenant: their role, or owner-level for system administrators. kNotFound when
    // the user has no business there (so the tenant's existence does not leak).
    Result<TenantScope> ForUser(UserId user, TenantId tenant);

    static TenantScope ForOperator(TenantId tenant) { return TenantScope(tenant, Role::kOwner); }

    // A device API key of `tenant` (already verified): may write samples, nothing else — the API only accepts
    // keys on ingest routes.
    static TenantScope ForDeviceKey(TenantId tenant) { return TenantScope(tenant, Role::kAdmin); }

  private:
    store::Repositories store_;
};

}  // namespace mh::domain
