// TenantScope: proof that the holder may act inside one tenant.
//
// Every repository call that reads or writes tenant-owned rows takes a TenantScope, and only the access
// layer (mh::domain::Access) can make one, after checking a membership or the system-admin role. Code
// that forgets the tenant does not compile; code that has a scope for tenant A cannot name tenant B.
#pragma once

#include <string_view>

#include "core/ids.hpp"

namespace mh {
namespace domain {
class Access;
}

enum class Role { kViewer = 1, kAdmin = 2, kOwner = 3 };

const char* RoleName(Role role) noexcept;
bool ParseRole(std::string_view text, Role& out) noexcept;

class TenantScope {
  public:
    TenantId tenant() const noexcept { return tenant_; }
    Role role() const noexcept { return role_; }
    bool CanWrite() const noexcept { return role_ >= Role::kAdmin; }

  private:
    friend class domain::Access;
    TenantScope(TenantId tenant, Role role) : tenant_(tenant), role_(role) {}

    TenantId tenant_;
    Role role_;
};

}  // namespace mh
