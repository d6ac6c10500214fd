#include "store/sqlite/pool.hpp"

namespace mh::store::sqlite {

Result<std::unique_ptr<SqlitePool>> SqlitePool::Open(const std::string& path, bool read_only) {
    MH_ASSIGN_OR_RETURN(auto first, Connection::Open(path, read_only));
    std::unique_ptr<SqlitePool> pool(new SqlitePool(path, read_only, read_only ? nullptr : std::move(first)));
    if (read_only) pool->idle_readers_.push_back(std::move(first));
    return pool;
}

Result<sql::ConnectionLease> SqlitePool::AcquireWriter() {
    if (read_only_) return MakeError(Errc::kFailedPrecondition, "the database " + path_ + " is open read-only");
    writer_mutex_.lock();  // unlocked by Release when the lease ends
    return sql::ConnectionLease(this, writer_.get(), true);
}

Result<sql::ConnectionLease> SqlitePool::AcquireReader() {
    std::unique_ptr<Connection> connection;
    {
        std::lock_guard lock(readers_mutex_);
        if (!idle_readers_.empty()) {
            connection = std::move(idle_readers_.back());
            idle_readers_.pop_back();
        }
    }
    if (!connection) {
        MH_ASSIGN_OR_RETURN(connection, Connection::Open(path_, true));
    }
    return sql::ConnectionLease(this, connection.release(), false);
}

void SqlitePool::Release(sql::Connection* connection, bool writer) {
    if (writer) {
        writer_mutex_.unlock();
        return;
    }
    std::unique_ptr<Connection> owned(static_cast<Connection*>(connection));
    std::lock_guard lock(readers_mutex_);
    if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(owned));
}

}  // namespace mh::store::sqlite
