#include "store/sql/migrate.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace mh::store::sql {

namespace {

// Holds the connection's schema lock for a scope.
class SchemaLock {
  public:
    static Result<SchemaLock> Take(Connection& connection) {
        MH_RETURN_IF_ERROR(connection.LockSchema());
        return SchemaLock(&connection);
    }
    SchemaLock(SchemaLock&& other) noexcept : connection_(std::exchange(other.connection_, nullptr)) {}
    SchemaLock(const SchemaLock&) = delete;
    SchemaLock& operator=(const SchemaLock&) = delete;
    SchemaLock& operator=(SchemaLock&&) = delete;
    ~SchemaLock() {
        if (connection_ != nullptr) (void)connection_->UnlockSchema();
    }

  private:
    explicit SchemaLock(Connection* connection) : connection_(connection) {}
    Connection* connection_;
};

}  // namespace

Result<int> SchemaVersion(Connection& connection, bool read_only) {
    if (!read_only) {
        // Under the lock: two PostgreSQL sessions creating the same table at once can both fail.
        MH_ASSIGN_OR_RETURN(SchemaLock lock, SchemaLock::Take(connection));
        MH_RETURN_IF_ERROR(connection.Exec(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at BIGINT NOT NULL)"));
    }
    MH_ASSIGN_OR_RETURN(auto stmt, connection.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    return row ? static_cast<int>(stmt->Int(0)) : 0;
}

Result<int> Migrate(Connection& connection, std::span<const Migration> migrations, const Clock& clock) {
    // Held from reading the version to the last migration, so another instance waits and then finds none left.
    MH_ASSIGN_OR_RETURN(SchemaLock lock, SchemaLock::Take(connection));
    MH_ASSIGN_OR_RETURN(int current, SchemaVersion(connection, false));
    const int latest = migrations.empty() ? 0 : migrations.back().version;
    if (current > latest) {
        return MakeError(Errc::kFailedPrecondition, "database schema version " + std::to_string(current) +
                                                        " is newer than this meterhub knows (" +
                                                        std::to_string(latest) + "); use a newer meterhub");
    }
    int applied = 0;
    for (const Migration& migration : migrations) {
        if (migration.version <= current) continue;
        MH_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(connection));
        MH_RETURN_IF_ERROR(connection.Exec(migration.sql));
        MH_ASSIGN_OR_RETURN(
            auto record,
            connection.Prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"));
        MH_RETURN_IF_ERROR(record->Bind(1, std::int64_t{migration.version})
                               .Bind(2, migration.name)
                               .Bind(3, ToMillis(clock.Now()))
                               .Run());
        MH_RETURN_IF_ERROR(tx.Commit());
        spdlog::info("database migrated to schema version {} ({})", migration.version, migration.name);
        ++applied;
    }
    return applied;
}

}  // namespace mh::store::sql
