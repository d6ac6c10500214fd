#include "domain/access.hpp"

namespace mh::domain {

Result<TenantScope> Access::ForUser(UserId user_id, TenantId tenant) {
    MH_ASSIGN_OR_RETURN(auto user, store_.users().GetUser(user_id));
    MH_RETURN_IF_ERROR(store_.tenants().GetTenant(tenant));
    if (user.system_admin) return TenantScope(tenant, Role::kOwner);
    MH_ASSIGN_OR_RETURN(auto role, store_.users().RoleOf(user_id, tenant));
    if (!role) return MakeError(Errc::kNotFound, "tenant not found");
    return TenantScope(tenant, *role);
}

}  // namespace mh::domain
