// SqlLeases: named leases, each taken, renewed and given up in one statement.
#include "store/sql/queries.hpp"
#include "store/sql/repositories.hpp"

namespace mh::store::sql {
namespace {

Lease LeaseFrom(const Statement& s) {
    return Lease{s.Text(0), s.Text(1), FromMillis(s.Int(2))};
}

}  // namespace

Result<bool> SqlLeases::Acquire(std::string_view name, std::string_view holder, Timestamp now, Timestamp expires_at) {
    if (name.empty() || holder.empty()) return MakeError(Errc::kInvalidArgument, "a lease needs a name and a holder");
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    // The update applies only when the lease is the caller's or has run out, so of two instances racing for a
    // free lease exactly one changes a row.
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer->Cached("INSERT INTO leases (name, holder, expires_at, acquired_at) VALUES (?1, ?2, ?3, ?4) "
                                       "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
                                       "expires_at = excluded.expires_at, acquired_at = CASE WHEN leases.holder = "
                                       "excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END "
                                       "WHERE leases.holder = excluded.holder OR leases.expires_at <= ?4"));
    MH_RETURN_IF_ERROR(
        stmt->Bind(1, name).Bind(2, holder).Bind(3, ToMillis(expires_at)).Bind(4, ToMillis(now)).Run());
    return writer->Changes() > 0;
}

Status SqlLeases::Release(std::string_view name, std::string_view holder) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt, writer->Cached("DELETE FROM leases WHERE name = ? AND holder = ?"));
    return stmt->Bind(1, name).Bind(2, holder).Run();
}

Result<std::optional<Lease>> SqlLeases::Find(std::string_view name) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    auto found = QueryOne(
        *reader, "SELECT name, holder, expires_at FROM leases WHERE name = ?", [&](Statement& s) { s.Bind(1, name); },
        &LeaseFrom, "lease");
    if (!found) {
        if (found.error().code == Errc::kNotFound) return std::optional<Lease>();
        return std::move(found).error();
    }
    return std::optional<Lease>(std::move(*found));
}

Result<std::vector<Lease>> SqlLeases::List(std::string_view prefix) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    // A range on the primary key instead of LIKE, whose wildcards would need escaping.
    std::string upper(prefix);
    upper.push_back('\x7f');
    return QueryAll(
        *reader, "SELECT name, holder, expires_at FROM leases WHERE name >= ? AND name < ? ORDER BY name",
        [&](Statement& s) { s.Bind(1, prefix).Bind(2, upper); }, &LeaseFrom);
}

}  // namespace mh::store::sql
