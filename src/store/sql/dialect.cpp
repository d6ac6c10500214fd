#include "store/sql/dialect.hpp"

namespace mh::store::sql {

const char* DialectName(Dialect dialect) {
    return dialect == Dialect::kPostgres ? "postgresql" : "sqlite";
}

std::string Greatest(Dialect dialect, std::string_view a, std::string_view b) {
    const std::string_view function = dialect == Dialect::kPostgres ? "GREATEST(" : "MAX(";
    std::string out(function);
    out.append(a).append(", ").append(b).append(")");
    return out;
}

std::string IndexHint(Dialect dialect, std::string_view index) {
    if (dialect != Dialect::kSqlite) return {};
    return " INDEXED BY " + std::string(index);
}

}  // namespace mh::store::sql
