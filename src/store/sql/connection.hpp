// The portable SQL layer's view of a database connection: Connection, Statement, Transaction.
//
// The repositories in store/sql are written once against these and run on every backend; a driver (store/sqlite
// today, store/postgres later) implements them. Statements use `?` or `?N` placeholders (1-based); a driver whose
// database spells them otherwise (PostgreSQL's $N) rewrites them when it prepares. What the dialects do not share
// is named in dialect.hpp, never spelled inline. docs/design.md, "Portable SQL", has the rules.
//
// Not thread-safe: a connection serves one thread at a time (the Pool hands them out).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.hpp"
#include "store/sql/access.hpp"
#include "store/sql/dialect.hpp"

namespace mh::store::sql {

class Statement {
  public:
    virtual ~Statement() = default;

    // Clears the bindings and rewinds; binding parameters is 1-based.
    virtual Statement& Reset() = 0;
    virtual Statement& Bind(int index, std::int64_t value) = 0;
    virtual Statement& Bind(int index, double value) = 0;
    virtual Statement& Bind(int index, std::string_view value) = 0;
    virtual Statement& Bind(int index, std::span<const std::uint8_t> blob) = 0;
    virtual Statement& BindNull(int index) = 0;
    Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
    Statement& Bind(int index, const std::string& value) { return Bind(index, std::string_view(value)); }

    // Advances: true with a row, false when done. Constraint violations are kAlreadyExists.
    virtual Result<bool> Step() = 0;
    // Runs to completion (for statements that return no rows).
    Status Run() {
        for (;;) {
            MH_ASSIGN_OR_RETURN(bool row, Step());
            if (!row) return Ok();
        }
    }

    // Columns of the current row, 0-based.
    virtual std::int64_t Int(int column) const = 0;
    virtual double Real(int column) const = 0;
    virtual std::string Text(int column) const = 0;
    virtual std::span<const std::uint8_t> Blob(int column) const = 0;
    virtual bool IsNull(int column) const = 0;
};

class Connection {
  public:
    virtual ~Connection() = default;

    virtual Dialect dialect() const = 0;
    // Runs one or more statements without parameters or results (DDL, PRAGMA, BEGIN).
    virtual Status Exec(std::string_view sql) = 0;
    // A prepared statement cached by its text; valid until the connection closes. Reset before it is returned.
    virtual Result<Statement*> Cached(std::string_view sql) = 0;
    virtual Result<std::unique_ptr<Statement>> Prepare(std::string_view sql) = 0;
    // Rows changed by the last INSERT, UPDATE or DELETE.
    virtual std::int64_t Changes() const = 0;
    // Starts a write transaction (SQLite: BEGIN IMMEDIATE, so that it never fails to upgrade later).
    virtual Status Begin() = 0;
    // Starts a transaction whose reads and writes all see one snapshot (PostgreSQL: REPEATABLE READ), so that a
    // DELETE touches only rows its earlier SELECT could see. SQLite's write transactions already are.
    virtual Status BeginSnapshot() { return Begin(); }
    // Serialises schema changes between processes sharing one database, held until UnlockSchema() and nestable
    // (PostgreSQL: a session advisory lock, so two instances starting at once migrate once). SQLite needs none:
    // its write transactions already exclude each other.
    virtual Status LockSchema() { return Ok(); }
    virtual Status UnlockSchema() { return Ok(); }
    // Who the coming statements and transactions act for (the Pool sets it per lease). PostgreSQL runs each
    // transaction, and each statement outside one, as the access's role with its tenant (row-level security);
    // SQLite, one process's own file, has no roles and ignores it.
    virtual void SetAccess(const Access&) {}
};

// A transaction on one connection, rolled back unless Commit() is reached.
class Transaction {
  public:
    static Result<Transaction> Begin(Connection& connection) {
        MH_RETURN_IF_ERROR(connection.Begin());
        return Transaction(&connection);
    }
    static Result<Transaction> BeginSnapshot(Connection& connection) {
        MH_RETURN_IF_ERROR(connection.BeginSnapshot());
        return Transaction(&connection);
    }
    Transaction(Transaction&& other) noexcept : connection_(std::exchange(other.connection_, nullptr)) {}
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction() {
        if (connection_ != nullptr) (void)connection_->Exec("ROLLBACK");
    }
    Status Commit() {
        Connection* connection = std::exchange(connection_, nullptr);
        if (connection == nullptr) return MakeError(Errc::kInternal, "transaction already finished");
        if (auto status = connection->Exec("COMMIT"); !status) {
            (void)connection->Exec("ROLLBACK");
            return status;
        }
        return Ok();
    }

  private:
    explicit Transaction(Connection* connection) : connection_(connection) {}
    Connection* connection_;
};

}  // namespace mh::store::sql
