// SqlTenants: the tenants table.
#include "store/sql/queries.hpp"
#include "store/sql/repositories.hpp"
#include "store/sql/rows.hpp"

namespace mh::store::sql {

Result<Tenant> SqlTenants::CreateTenant(const NewTenant& t) {
    Tenant tenant{ids_.Next<TenantId>(), t.name, t.time_zone, t.raw_retention_days, clock_.Now()};
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer->Cached("INSERT INTO tenants (id, name, time_zone, raw_retention_days, created_at) "
                                        "VALUES (?, ?, ?, ?, ?)"));
    stmt->Bind(1, tenant.id.value())
        .Bind(2, tenant.name)
        .Bind(3, tenant.time_zone)
        .Bind(4, tenant.raw_retention_days)
        .Bind(5, ToMillis(tenant.created_at));
    MH_RETURN_IF_ERROR(NameTaken(stmt->Run(), "tenant '" + t.name + "'"));
    return tenant;
}

Result<std::vector<Tenant>> SqlTenants::ListTenants() {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    return QueryAll(*reader, Sql({"SELECT ", kTenantColumns, " FROM tenants ORDER BY name"}), NoBind, &TenantFrom);
}

Result<Tenant> SqlTenants::FindTenant(std::string_view name) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    return QueryOne(
        *reader, Sql({"SELECT ", kTenantColumns, " FROM tenants WHERE name = ?"}),
        [&](Statement& s) { s.Bind(1, name); }, &TenantFrom, "tenant '" + std::string(name) + "'");
}

Result<Tenant> SqlTenants::GetTenant(TenantId id) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    return QueryOne(
        *reader, Sql({"SELECT ", kTenantColumns, " FROM tenants WHERE id = ?"}),
        [&](Statement& s) { s.Bind(1, id.value()); }, &TenantFrom, "tenant");
}

Status SqlTenants::DeleteTenant(TenantId id) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt, writer->Cached("DELETE FROM tenants WHERE id = ?"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, id.value()).Run());
    return RequireChanged(*writer, "tenant");
}

Status SqlTenants::SetTenantRetention(TenantId id, std::int64_t raw_retention_days) {
    if (raw_retention_days < 1) return MakeError(Errc::kInvalidArgument, "retention must be at least one day");
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt, writer->Cached("UPDATE tenants SET raw_retention_days = ? WHERE id = ?"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, raw_retention_days).Bind(2, id.value()).Run());
    return RequireChanged(*writer, "tenant");
}

}  // namespace mh::store::sql
