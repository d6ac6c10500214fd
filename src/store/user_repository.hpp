// UserRepository: user accounts and their memberships of tenants.
//
// Account calls take no scope (they are the user's own or the system administrator's); ListMembers and
// RemoveMember act within a tenant and take its scope. RoleOf is what domain::Access asks before it makes a
// scope. E-mail addresses are unique regardless of case. Deleting a user deletes their memberships, sessions
// and e-mail tokens.
//
// Implementations are thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/tenant_scope.hpp"
#include "store/records.hpp"

namespace mh::store {

struct NewUser {
    std::string email;
    std::string display_name;
    std::string password_hash;
    bool system_admin = false;
};

class UserRepository {
  public:
    virtual ~UserRepository() = default;

    // kAlreadyExists when the e-mail address is taken.
    virtual Result<User> CreateUser(const NewUser& user) = 0;
    virtual Result<User> GetUser(UserId id) = 0;
    virtual Result<User> FindUserByEmail(std::string_view email) = 0;
    virtual Result<std::vector<User>> ListUsers() = 0;
    virtual Status SetPasswordHash(UserId id, std::string_view password_hash) = 0;
    virtual Status SetEmail(UserId id, std::string_view email) = 0;  // kAlreadyExists when taken
    virtual Status SetEmailVerified(UserId id, bool verified) = 0;
    virtual Status SetUserLanguage(UserId id, std::string_view language) = 0;
    virtual Status DeleteUser(UserId id) = 0;

    // Memberships.
    virtual Result<std::optional<Role>> RoleOf(UserId user, TenantId tenant) = 0;
    // Adds the member or changes their role; kNotFound when the tenant or user does not exist.
    virtual Status SetMember(TenantId tenant, UserId user, Role role) = 0;
    virtual Result<std::vector<Member>> ListMembers(const TenantScope& scope) = 0;
    // The tenants the user is a member of, by name (not the ones a system administrator may reach).
    virtual Result<std::vector<Membership>> MembershipsOf(UserId user) = 0;
    virtual Status RemoveMember(const TenantScope& scope, UserId user) = 0;
};

}  // namespace mh::store
