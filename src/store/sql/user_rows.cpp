// SqlUsers: users and memberships.
#include "store/sql/queries.hpp"
#include "store/sql/repositories.hpp"
#include "store/sql/rows.hpp"

namespace mh::store::sql {
namespace {

constexpr std::string_view kUserColumns =
    "id, email, display_name, password_hash, system_admin, email_verified, created_at, language";

User UserFrom(const Statement& s) {
    return User{UserId{s.Int(0)}, s.Text(1),           s.Text(2), s.Text(3),
                s.Int(4) != 0,    s.Int(5) != 0,       FromMillis(s.Int(6)), s.Text(7)};
}

}  // namespace

Result<User> SqlUsers::CreateUser(const NewUser& u) {
    User user{ids_.Next<UserId>(), u.email, u.display_name, u.password_hash, u.system_admin, false, clock_.Now()};
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer->Cached("INSERT INTO users (id, email, display_name, password_hash, system_admin, "
                                        "email_verified, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)"));
    stmt->Bind(1, user.id.value())
        .Bind(2, user.email)
        .Bind(3, user.display_name)
        .Bind(4, user.password_hash)
        .Bind(5, std::int64_t{user.system_admin ? 1 : 0})
        .Bind(6, ToMillis(user.created_at));
    MH_RETURN_IF_ERROR(NameTaken(stmt->Run(), "user '" + u.email + "'"));
    return user;
}

Result<User> SqlUsers::GetUser(UserId id) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    return QueryOne(
        *reader, Sql({"SELECT ", kUserColumns, " FROM users WHERE id = ?"}),
        [&](Statement& s) { s.Bind(1, id.value()); }, &UserFrom, "user");
}

Result<User> SqlUsers::FindUserByEmail(std::string_view email) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    return QueryOne(
        *reader, Sql({"SELECT ", kUserColumns, " FROM users WHERE email = ?"}), [&](Statement& s) { s.Bind(1, email); },
        &UserFrom, "user '" + std::string(email) + "'");
}

Result<std::vector<User>> SqlUsers::ListUsers() {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    return QueryAll(*reader, Sql({"SELECT ", kUserColumns, " FROM users ORDER BY email"}), NoBind, &UserFrom);
}

Status SqlUsers::SetPasswordHash(UserId id, std::string_view password_hash) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt, writer->Cached("UPDATE users SET password_hash = ? WHERE id = ?"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, password_hash).Bind(2, id.value()).Run());
    return RequireChanged(*writer, "user");
}

Status SqlUsers::DeleteUser(UserId id) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt, writer->Cached("DELETE FROM users WHERE id = ?"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, id.value()).Run());
    return RequireChanged(*writer, "user");
}

Result<std::optional<Role>> SqlUsers::RoleOf(UserId user, TenantId tenant) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        reader->Cached("SELECT role FROM memberships WHERE tenant_id = ? AND user_id = ?"));
    stmt->Bind(1, tenant.value()).Bind(2, user.value());
    MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return std::optional<Role>();
    Role role = Role::kViewer;
    const bool known = ParseRole(stmt->Text(0), role);
    stmt->Reset();
    return known ? std::optional<Role>(role) : std::optional<Role>();
}

Status SqlUsers::SetMember(TenantId tenant, UserId user, Role role) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer->Cached("INSERT INTO memberships (tenant_id, user_id, role) VALUES (?, ?, ?) "
                                        "ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = excluded.role"));
    auto status = stmt->Bind(1, tenant.value()).Bind(2, user.value()).Bind(3, RoleName(role)).Run();
    if (!status && status.error().code == Errc::kAlreadyExists) {  // a foreign key failed
        return MakeError(Errc::kNotFound, "tenant or user not found");
    }
    return status;
}

Result<std::vector<Member>> SqlUsers::ListMembers(const TenantScope& scope) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::Tenant(scope)));
    return QueryAll(
        *reader,
        "SELECT m.user_id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id "
        "WHERE m.tenant_id = ? ORDER BY u.email",
        [&](Statement& s) { s.Bind(1, scope.tenant().value()); },
        +[](const Statement& s) {
            Member m{UserId{s.Int(0)}, s.Text(1), Role::kViewer};
            ParseRole(s.Text(2), m.role);
            return m;
        });
}

Result<std::vector<Membership>> SqlUsers::MembershipsOf(UserId user) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    return QueryAll(
        *reader,
        "SELECT t.id, t.name, t.time_zone, t.raw_retention_days, t.created_at, m.role FROM memberships m "
        "JOIN tenants t ON t.id = m.tenant_id WHERE m.user_id = ? ORDER BY t.name",
        [&](Statement& s) { s.Bind(1, user.value()); },
        +[](const Statement& s) {
            Membership m{TenantFrom(s), Role::kViewer};
            ParseRole(s.Text(5), m.role);
            return m;
        });
}

Status SqlUsers::RemoveMember(const TenantScope& scope, UserId user) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::Tenant(scope)));
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer->Cached("DELETE FROM memberships WHERE tenant_id = ? AND user_id = ?"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, scope.tenant().value()).Bind(2, user.value()).Run());
    return RequireChanged(*writer, "member");
}

Status SqlUsers::SetEmailVerified(UserId id, bool verified) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt, writer->Cached("UPDATE users SET email_verified = ? WHERE id = ?"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, std::int64_t{verified ? 1 : 0}).Bind(2, id.value()).Run());
    if (writer->Changes() == 0) return MakeError(Errc::kNotFound, "user not found");
    return Ok();
}

Status SqlUsers::SetEmail(UserId id, std::string_view email) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt, writer->Cached("UPDATE users SET email = ? WHERE id = ?"));
    auto status = stmt->Bind(1, email).Bind(2, id.value()).Run();
    if (!status && status.error().code == Errc::kAlreadyExists) {
        return MakeError(Errc::kAlreadyExists, "that e-mail address is already in use");
    }
    MH_RETURN_IF_ERROR(status);
    if (writer->Changes() == 0) return MakeError(Errc::kNotFound, "user not found");
    return Ok();
}

Status SqlUsers::SetUserLanguage(UserId id, std::string_view language) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt, writer->Cached("UPDATE users SET language = ? WHERE id = ?"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, language).Bind(2, id.value()).Run());
    if (writer->Changes() == 0) return MakeError(Errc::kNotFound, "user not found");
    return {};
}

}  // namespace mh::store::sql
