// The PostgreSQL driver of the portable SQL layer (store/sql/connection.hpp): Connection and Statement over
// libpq.
//
// Statements are rewritten from `?`/`?N` to `$N` (placeholders.hpp). Parameters go in binary, each typed by what
// was bound (int8, float8, text, bytea; a NULL is left for the server to infer), and a cached statement is
// prepared once per connection for each such set of types. Results come back in binary and are read by column
// type (wire.hpp); a column of a type the driver does not read fails the statement with kInternal naming it.
// Step() executes on its first call and then walks the rows of that result, which libpq holds in memory whole.
//
// Access (sql::Connection::SetAccess): for a tenant or the system, every transaction runs as that role with the
// tenant set (set_config(..., true): transaction-local, so nothing carries over to the connection's next use).
// Begin() sends BEGIN and the set_config in one query; a statement outside a transaction is sent in one pipeline
// after the set_config, sharing its implicit transaction. Either way, no extra round trip (docs/design.md,
// "Row-level security"). The owner's access takes no role: the connection's own (migrations).
//
// Errors: SQLSTATE class 23 (unique, foreign key, check, not null) is kAlreadyExists as on SQLite; a lost
// connection, a server shutting down, serialisation failures and deadlocks are kUnavailable; a lost connection
// stays broken() and the Pool replaces it. Not thread-safe: one thread at a time (the Pool hands them out).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "store/postgres/wire.hpp"
#include "store/sql/connection.hpp"

struct pg_conn;
struct pg_result;

namespace mh::store::postgres {

class Connection;

class Statement final : public sql::Statement {
  public:
    // `cached`: prepared server-side (once per set of parameter types); otherwise sent whole each time.
    Statement(Connection& connection, std::string text, int parameters, bool cached);
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement() override;

    Statement& Reset() override;
    Statement& Bind(int index, std::int64_t value) override;
    Statement& Bind(int index, double value) override;
    Statement& Bind(int index, std::string_view value) override;
    Statement& Bind(int index, std::span<const std::uint8_t> blob) override;
    Statement& BindNull(int index) override;
    using sql::Statement::Bind;

    Result<bool> Step() override;

    std::int64_t Int(int column) const override;
    double Real(int column) const override;
    std::string Text(int column) const override;
    std::span<const std::uint8_t> Blob(int column) const override;
    bool IsNull(int column) const override;

  private:
    struct Parameter {
        Oid type = 0;  // 0: NULL (or never bound), its type inferred by the server
        std::string bytes;
    };
    Status Execute();
    Parameter* Slot(int index);
    std::span<const std::uint8_t> Bytes(int column) const;
    void ClearResult();

    // At most this many server-side prepared statements per text (sets of parameter types); past it they are
    // deallocated and prepared again as they come.
    static constexpr std::size_t kMaxPreparedVariants = 8;

    Connection& connection_;
    const std::string text_;
    const bool cached_;
    std::vector<Parameter> parameters_;
    bool bad_index_ = false;
    std::vector<std::pair<std::string, std::string>> prepared_;  // types signature -> statement name
    pg_result* result_ = nullptr;
    int row_ = -1;
    int rows_ = 0;
    std::vector<Oid> column_types_;
};

class Connection final : public sql::Connection {
  public:
    // `conninfo`: a libpq connection string or postgresql:// URL. `read_only` makes every transaction read-only.
    static Result<std::unique_ptr<Connection>> Open(const std::string& conninfo, bool read_only);
    ~Connection() override;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    sql::Dialect dialect() const override { return sql::Dialect::kPostgres; }
    Status Exec(std::string_view sql) override;
    Result<sql::Statement*> Cached(std::string_view sql) override;
    Result<std::unique_ptr<sql::Statement>> Prepare(std::string_view sql) override;
    std::int64_t Changes() const override { return changes_; }
    Status Begin() override;
    Status BeginSnapshot() override;
    Status LockSchema() override;
    Status UnlockSchema() override;
    void SetAccess(const sql::Access& access) override { access_ = access; }

    // Runs `COPY ... FROM STDIN` (`copy`) and sends `data` as its whole input, in the format the COPY names.
    Status CopyIn(std::string_view copy, std::span<const std::uint8_t> data);

    // Whether the connection to the server is lost (the Pool then opens a new one).
    bool broken() const;
    // Whether a transaction is open (or the connection is busy); the Pool rolls back or discards such a one.
    bool in_transaction() const;

  private:
    friend class Statement;
    explicit Connection(pg_conn* conn) : conn_(conn) {}
    // Turns a finished command's result into Ok (keeping it when it returned rows) or the mapped Error.
    Result<pg_result*> Check(pg_result* result, std::string_view context);
    std::string NextStatementName();
    Status BeginWith(const std::string& begin);
    // Executes a statement (prepared as `name`, or else `text`), under the access's role and tenant when outside
    // a transaction. The result is the caller's to Check.
    pg_result* Execute(const char* name, const std::string& text, int n, const Oid* types, const char* const* values,
                       const int* lengths, const int* formats);
    // Prepares the set_config of role and tenant on first use; its failed result, or null.
    pg_result* PrepareAccess();
    // The role and tenant the access's transactions take ("" and "" for the owner's).
    const char* AccessRole() const;
    std::string AccessTenant() const;

    // Bounds the statement cache: repositories use a fixed set of texts, so more means something builds SQL
    // from data, and the cache would grow without end.
    static constexpr std::size_t kMaxCachedStatements = 1024;

    pg_conn* conn_;
    sql::Access access_ = sql::Access::Owner();
    bool access_prepared_ = false;  // the set_config statement of Execute's pipeline
    std::int64_t changes_ = 0;
    std::uint64_t statement_counter_ = 0;
    std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// Maps a failed result (or, with no result, the connection's state) to an Error with our category.
Error PostgresError(pg_conn* conn, pg_result* result, std::string_view context);

// A connection string or URL for messages: postgresql://user@host:port/dbname, never the password.
std::string DescribeConninfo(const std::string& conninfo);

}  // namespace mh::store::postgres
