// TenantRepository: the tenants, the unit of isolation. System calls only (no scope): reachable through the
// system administrator's paths (domain::Access, the CLI). Deleting a tenant deletes everything it owns.
//
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/records.hpp"

namespace mh::store {

struct NewTenant {
    std::string name;
    std::string time_zone = "UTC";
    std::int64_t raw_retention_days = 730;
};

class TenantRepository {
  public:
    virtual ~TenantRepository() = default;

    // kAlreadyExists when the name is taken.
    virtual Result<Tenant> CreateTenant(const NewTenant& tenant) = 0;
    virtual Result<std::vector<Tenant>> ListTenants() = 0;
    virtual Result<Tenant> FindTenant(std::string_view name) = 0;
    virtual Result<Tenant> GetTenant(TenantId id) = 0;
    virtual Status DeleteTenant(TenantId id) = 0;
    virtual Status SetTenantRetention(TenantId id, std::int64_t raw_retention_days) = 0;
};

}  // namespace mh::store
