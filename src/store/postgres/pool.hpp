// PostgresPool: a bounded pool of libpq connections to one database.
//
// Write() and Read() both lease any connection (PostgreSQL has no single writer); at most max_connections exist.
// When all are leased, a caller waits up to acquire_timeout and then gets kUnavailable, so a stalled database
// turns into errors instead of a queue that grows. A connection that lost the server is closed when it comes back
// and replaced on a later lease; one returned inside a transaction is rolled back first. Connections open lazily
// past the first, which Open() makes to fail early. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/postgres/connection.hpp"
#include "store/sql/pool.hpp"

namespace mh::store::postgres {

struct PoolOptions {
    int max_connections = 8;
    std::chrono::milliseconds acquire_timeout{5000};
    bool read_only = false;  // Write() refused, every transaction read-only
};

class PostgresPool final : public sql::Pool {
  public:
    static Result<std::unique_ptr<PostgresPool>> Open(std::string conninfo, PoolOptions options);
    ~PostgresPool() override = default;

    sql::Dialect dialect() const override { return sql::Dialect::kPostgres; }
    std::string Location() const override { return location_; }

    // Connections open now (idle and leased), for tests and status.
    int open_connections() const;

  private:
    PostgresPool(std::string conninfo, PoolOptions options);
    Result<sql::ConnectionLease> AcquireWriter() override;
    Result<sql::ConnectionLease> AcquireReader() override;
    Result<sql::ConnectionLease> Lease(bool writer);
    void Release(sql::Connection* connection, bool writer) override;

    const std::string conninfo_;
    const std::string location_;
    const PoolOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable released_;
    std::vector<std::unique_ptr<Connection>> idle_;
    int open_ = 0;  // idle, leased and being opened
};

}  // namespace mh::store::postgres
