// SqlitePool: the connections of one SQLite file in WAL mode.
//
// One writer connection, handed out under a mutex (SQLite allows one writer; queuing here is cheaper than its
// busy-wait), and a pool of read-only connections, so that readers never wait for a checkpoint's write
// transaction. A read-only pool has no writer. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/sql/pool.hpp"
#include "store/sqlite/connection.hpp"

namespace mh::store::sqlite {

class SqlitePool final : public sql::Pool {
  public:
    // Opens the writer (or, read-only, checks that the file opens).
    static Result<std::unique_ptr<SqlitePool>> Open(const std::string& path, bool read_only);

    sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }
    std::string Location() const override { return path_; }

  private:
    Result<sql::ConnectionLease> AcquireWriter() override;
    Result<sql::ConnectionLease> AcquireReader() override;
    SqlitePool(std::string path, bool read_only, std::unique_ptr<Connection> writer)
        : path_(std::move(path)), read_only_(read_only), writer_(std::move(writer)) {}
    void Release(sql::Connection* connection, bool writer) override;

    static constexpr std::size_t kMaxIdleReaders = 16;

    const std::string path_;
    const bool read_only_;
    std::mutex writer_mutex_;
    std::unique_ptr<Connection> writer_;
    std::mutex readers_mutex_;
    std::vector<std::unique_ptr<Connection>> idle_readers_;
};

}  // namespace mh::store::sqlite
