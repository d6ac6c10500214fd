// Pool: hands out a backend's connections, one call at a time.
//
// Write() gives the connection that writes (SQLite: the one writer, held under a lock for the lease's life, so
// writes are serialised; PostgreSQL: any pooled connection). Read() gives a connection for reads that never wait
// for a writer (SQLite: a pooled read-only connection in WAL mode). Both take the Access the lease's statements
// run under (access.hpp), set on the connection for the lease's life and reset to the owner when it ends, so a
// pooled connection never carries a tenant over. A lease returns its connection when it ends. Thread-safe.
#pragma once

#include <utility>

#include "core/result.hpp"
#include "store/sql/access.hpp"
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
    Result<ConnectionLease> Write(const Access& access) { return WithAccess(AcquireWriter(), access); }
    Result<ConnectionLease> Read(const Access& access) { return WithAccess(AcquireReader(), access); }
    // Where the database is, for messages: a file path or a connection string without its password.
    virtual std::string Location() const = 0;

  protected:
    friend class ConnectionLease;
    virtual Result<ConnectionLease> AcquireWriter() = 0;
    virtual Result<ConnectionLease> AcquireReader() = 0;
    virtual void Release(Connection* connection, bool writer) = 0;

  private:
    static Result<ConnectionLease> WithAccess(Result<ConnectionLease> lease, const Access& access) {
        if (lease) (*lease)->SetAccess(access);
        return lease;
    }
};

inline ConnectionLease::~ConnectionLease() {
    if (connection_ == nullptr) return;
    connection_->SetAccess(Access::Owner());
    pool_->Release(connection_, writer_);
}

}  // namespace mh::store::sql
