// The SQLite driver of the portable SQL layer (store/sql/connection.hpp): Connection and Statement over the
// SQLite C API.
//
// Errors come back as Result (constraint violations as kAlreadyExists). Not thread-safe: one connection per
// thread at a time (the Pool hands them out).
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
#include "store/sql/connection.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace mh::store::sqlite {

class Statement final : public sql::Statement {
  public:
    Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
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
    Error LastError() const;

    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

class Connection final : public sql::Connection {
  public:
    static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool read_only);
    ~Connection() override;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }
    Status Exec(std::string_view sql) override;
    Result<sql::Statement*> Cached(std::string_view sql) override;
    Result<std::unique_ptr<sql::Statement>> Prepare(std::string_view sql) override;
    std::int64_t Changes() const override;
    Status Begin() override;

  private:
    explicit Connection(sqlite3* db) : db_(db) {}
    sqlite3* db_;
    std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// Maps a SQLite result code to an Error with our category.
Error SqliteError(int code, std::string_view context, std::string_view message);

}  // namespace mh::store::sqlite
