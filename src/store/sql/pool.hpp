// Pool: hands out a backend's connections, one call at a time.
//
// Write() gives the connection that writes (SQLite: the one writer, held under a lock for the lease's life, so
// writes are serialised; PostgreSQL: any pooled connection). Read() gives a connection for reads that never wait
// for a writer (SQLite: a pooled read-only connection in WAL mode). A lease returns its connection when it ends.
// Thread-safe.
#pragma once

#include <utility>

#include "core/result.hpp"
#include "store/sql/connection.hpp"

namespace mh::store::sql {

class Pool;

// One connection for the duration of one repository call.
class ConnectionLease {
  public:
    ConnectionLease(Pool* pool, Connection* connection, bool writer)
        : pool_(pool), connection_(connection), writer_(writer) {}
    ConnectionLease(ConnectionLease&& other) noexcept
        : pool_(other.pool_), connection_(std::exchange(other.connection_, nullptr)), writer_(other.writer_) {}
    ConnectionLease(const ConnectionLease&) = delete;
    ConnectionLease& operator=(const ConnectionLease&) = delete;
    ConnectionLease& operator=(ConnectionLease&&) = delete;
    ~ConnectionLease();

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_; }

  private:
    Pool* pool_;
    Connection* connection_;
    bool writer_;
};

class Pool {
  public:
    virtual ~Pool() = default;
    virtual Dialect dialect() const = 0;
    virtual Result<ConnectionLease> Write() = 0;
    virtual Result<ConnectionLease> Read() = 0;
    // Where the database is, for messages: a file path or a connection string without its password.
    virtual std::string Location() const = 0;

  protected:
    friend class ConnectionLease;
    virtual void Release(Connection* connection, bool writer) = 0;
};

inline ConnectionLease::~ConnectionLease() {
    if (connection_ != nullptr) pool_->Release(connection_, writer_);
}

}  // namespace mh::store::sql
