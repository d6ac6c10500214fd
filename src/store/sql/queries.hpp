// Internal to store/sql: small helpers for the query shapes every repository method uses.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/result.hpp"
#include "store/sql/connection.hpp"

namespace mh::store::sql {

inline std::string Sql(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (auto part : parts) out += part;
    return out;
}

inline constexpr auto NoBind = [](Statement&) {};

// Runs a query expected to return at most one row, mapped by `from`; kNotFound with `what` otherwise.
template <class T, class Bind>
Result<T> QueryOne(Connection& c, const std::string& sql, Bind&& bind, T (*from)(const Statement&),
                   std::string_view what) {
    MH_ASSIGN_OR_RETURN(Statement * stmt, c.Cached(sql));
    bind(*stmt);
    MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return MakeError(Errc::kNotFound, std::string(what) + " not found");
    T value = from(*stmt);
    stmt->Reset();
    return value;
}

template <class T, class Bind>
Result<std::vector<T>> QueryAll(Connection& c, const std::string& sql, Bind&& bind, T (*from)(const Statement&)) {
    MH_ASSIGN_OR_RETURN(Statement * stmt, c.Cached(sql));
    bind(*stmt);
    std::vector<T> out;
    for (;;) {
        MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
        if (!row) break;
        out.push_back(from(*stmt));
    }
    return out;
}

// Turns a unique-constraint failure into a message about what is taken.
template <class T>
Result<T> NameTaken(Result<T> result, std::string_view what) {
    if (!result && result.error().code == Errc::kAlreadyExists) {
        return MakeError(Errc::kAlreadyExists, std::string(what) + " already exists");
    }
    return result;
}

inline Status RequireChanged(Connection& c, std::string_view what) {
    if (c.Changes() == 0) return MakeError(Errc::kNotFound, std::string(what) + " not found");
    return Ok();
}

// Binds the value, or NULL when it is unset.
template <class T>
Statement& BindOptional(Statement& stmt, int index, const std::optional<T>& value) {
    if (!value) return stmt.BindNull(index);
    if constexpr (std::is_integral_v<T>) {
        return stmt.Bind(index, static_cast<std::int64_t>(*value));
    } else if constexpr (std::is_same_v<T, std::string>) {
        return stmt.Bind(index, std::string_view(*value));
    } else {
        return stmt.Bind(index, *value);
    }
}

}  // namespace mh::store::sql
