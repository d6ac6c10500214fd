#include "store/postgres/pool.hpp"

namespace mh::store::postgres {

PostgresPool::PostgresPool(std::string conninfo, PoolOptions options)
    : conninfo_(std::move(conninfo)), location_(DescribeConninfo(conninfo_)), options_(options) {}

Result<std::unique_ptr<PostgresPool>> PostgresPool::Open(std::string conninfo, PoolOptions options) {
    if (options.max_connections < 1) {
        return MakeError(Errc::kInvalidArgument, "a PostgreSQL pool needs at least one connection");
    }
    std::unique_ptr<PostgresPool> pool(new PostgresPool(std::move(conninfo), options));
    MH_ASSIGN_OR_RETURN(auto first, Connection::Open(pool->conninfo_, options.read_only));
    pool->idle_.push_back(std::move(first));
    pool->open_ = 1;
    return pool;
}

Result<sql::ConnectionLease> PostgresPool::AcquireWriter() {
    if (options_.read_only) {
        return MakeError(Errc::kFailedPrecondition, "the database " + location_ + " is open read-only");
    }
    return Lease(true);
}

Result<sql::ConnectionLease> PostgresPool::AcquireReader() {
    return Lease(false);
}

Result<sql::ConnectionLease> PostgresPool::Lease(bool writer) {
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
    for (;;) {
        while (!idle_.empty()) {
            std::unique_ptr<Connection> connection = std::move(idle_.back());
            idle_.pop_back();
            if (!connection->broken()) return sql::ConnectionLease(this, connection.release(), writer);
            --open_;  // lost while idle (a server restart): replaced below
        }
        if (open_ < options_.max_connections) break;
        if (released_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
            open_ >= options_.max_connections) {
            return MakeError(Errc::kUnavailable, "all " + std::to_string(options_.max_connections) +
                                                     " connections to " + location_ + " stayed busy for " +
                                                     std::to_string(options_.acquire_timeout.count()) + " ms");
        }
    }
    ++open_;  // reserved while connecting, outside the lock
    lock.unlock();
    auto opened = Connection::Open(conninfo_, options_.read_only);
    if (!opened) {
        lock.lock();
        --open_;
        released_.notify_one();
        return std::move(opened).error();
    }
    return sql::ConnectionLease(this, opened->release(), writer);
}

void PostgresPool::Release(sql::Connection* connection, bool) {
    std::unique_ptr<Connection> owned(static_cast<Connection*>(connection));
    // A lease that ended inside a transaction (an error path that lost its Transaction) must not hand the next
    // caller a half-done one.
    if (!owned->broken() && owned->in_transaction()) (void)owned->Exec("ROLLBACK");
    const bool keep = !owned->broken() && !owned->in_transaction();
    if (!keep) owned.reset();  // closed outside the lock
    std::lock_guard lock(mutex_);
    if (keep) {
        idle_.push_back(std::move(owned));
    } else {
        --open_;
    }
    released_.notify_one();
}

int PostgresPool::open_connections() const {
    std::lock_guard lock(mutex_);
    return open_;
}

}  // namespace mh::store::postgres
