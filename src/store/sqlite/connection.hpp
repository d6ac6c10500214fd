// A thin RAII layer over the SQLite C API: Connection, Statement, Transaction.
//
// Errors come back as Result; a Statement is reset when it is re-bound. Not thread-safe: one connection
// per thread at a time (SqliteStore hands them out).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace mh::store::sqlite {

class Statement {
  public:
    Statement() = default;
    Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    // Binds 1-based parameters; rebinding resets the statement first.
    Statement& Reset();
    Statement& Bind(int index, std::int64_t value);
    Statement& Bind(int index, double value);
    Statement& Bind(int index, std::string_view value);
    Statement& Bind(int index, std::span<const std::uint8_t> blob);
    Statement& BindNull(int index);

    // Advances: true with a row, false when done.
    Result<bool> Step();
    // Runs to completion (for statements that return no rows).
    Status Run();

    std::int64_t Int(int column) const;
    double Real(int column) const;
    std::string Text(int column) const;
    std::span<const std::uint8_t> Blob(int column) const;
    bool IsNull(int column) const;

  private:
    Error LastError() const;

    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

class Connection {
  public:
    static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool read_only);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    Status Exec(std::string_view sql);
    // A prepared statement cached by its text; valid until the connection closes. Reset before use.
    Result<Statement*> Cached(std::string_view sql);
    Result<Statement> Prepare(std::string_view sql);
    std::int64_t Changes() const;

  private:
    explicit Connection(sqlite3* db) : db_(db) {}
    sqlite3* db_;
    std::unordered_map<std::string, Statement> cache_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back if Commit() was not reached.
class Transaction {
  public:
    static Result<Transaction> Begin(Connection& connection);
    Transaction(Transaction&& other) noexcept : connection_(std::exchange(other.connection_, nullptr)) {}
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();
    Status Commit();

  private:
    explicit Transaction(Connection* connection) : connection_(connection) {}
    Connection* connection_;
};

// Maps a SQLite result code to an Error with our category.
Error SqliteError(int code, std::string_view context, std::string_view message);

}  // namespace mh::store::sqlite
