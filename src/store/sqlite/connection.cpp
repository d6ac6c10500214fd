#include "store/sqlite/connection.hpp"

#include <sqlite3.h>

#include <utility>

namespace mh::store::sqlite {

Error SqliteError(int code, std::string_view context, std::string_view message) {
    Errc errc = Errc::kInternal;
    switch (code & 0xff) {
        case SQLITE_CONSTRAINT: errc = Errc::kAlreadyExists; break;
        case SQLITE_BUSY:
        case SQLITE_LOCKED: errc = Errc::kUnavailable; break;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB: errc = Errc::kDataLoss; break;
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_IOERR:
        case SQLITE_FULL: errc = Errc::kUnavailable; break;
        default: break;
    }
    return MakeError(errc, std::string(context) + ": " + std::string(message));
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

Statement& Statement::Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    return *this;
}

Statement& Statement::Bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

Statement& Statement::Bind(int index, double value) {
    sqlite3_bind_double(stmt_, index, value);
    return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
    sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}

Statement& Statement::Bind(int index, std::span<const std::uint8_t> blob) {
    sqlite3_bind_blob64(stmt_, index, blob.data(), blob.size(), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::BindNull(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
}

Error Statement::LastError() const {
    const char* sql = sqlite3_sql(stmt_);
    return SqliteError(sqlite3_extended_errcode(db_), sql != nullptr ? std::string_view(sql).substr(0, 60) : "sqlite",
                       sqlite3_errmsg(db_));
}

Result<bool> Statement::Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    Error error = LastError();
    sqlite3_reset(stmt_);
    return error;
}

std::int64_t Statement::Int(int column) const {
    return sqlite3_column_int64(stmt_, column);
}
double Statement::Real(int column) const {
    return sqlite3_column_double(stmt_, column);
}
bool Statement::IsNull(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::string Statement::Text(int column) const {
    const auto* text = sqlite3_column_text(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text), size);
}

std::span<const std::uint8_t> Statement::Blob(int column) const {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
    const int size = sqlite3_column_bytes(stmt_, column);
    return data == nullptr ? std::span<const std::uint8_t>() : std::span<const std::uint8_t>(data, size);
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, bool read_only) {
    sqlite3* db = nullptr;
    const int flags =
        (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        Error error = SqliteError(rc, "open " + path, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return error;
    }
    sqlite3_extended_result_codes(db, 1);
    std::unique_ptr<Connection> connection(new Connection(db));
    // WAL lets readers run beside the one writer; NORMAL sync is safe in WAL mode (the sample log, not
    // SQLite, is what makes ingest durable). Foreign keys carry the cascading deletes.
    MH_RETURN_IF_ERROR(connection->Exec("PRAGMA busy_timeout = 10000"));
    if (!read_only) MH_RETURN_IF_ERROR(connection->Exec("PRAGMA journal_mode = WAL"));
    MH_RETURN_IF_ERROR(connection->Exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON"));
    return connection;
}

Connection::~Connection() {
    cache_.clear();
    sqlite3_close(db_);
}

Status Connection::Exec(std::string_view sql) {
    char* message = nullptr;
    const std::string text(sql);
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        Error error = SqliteError(rc, text.substr(0, 60), message != nullptr ? message : sqlite3_errstr(rc));
        sqlite3_free(message);
        return error;
    }
    return Ok();
}

namespace {

Result<std::unique_ptr<Statement>> PrepareStatement(sqlite3* db, std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(rc, "prepare", sqlite3_errmsg(db));
    return std::make_unique<Statement>(db, stmt);
}

}  // namespace

Result<std::unique_ptr<sql::Statement>> Connection::Prepare(std::string_view sql) {
    MH_ASSIGN_OR_RETURN(auto stmt, PrepareStatement(db_, sql));
    return std::unique_ptr<sql::Statement>(std::move(stmt));
}

Result<sql::Statement*> Connection::Cached(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it == cache_.end()) {
        MH_ASSIGN_OR_RETURN(auto stmt, PrepareStatement(db_, sql));
        it = cache_.emplace(std::string(sql), std::move(stmt)).first;
    }
    it->second->Reset();
    return it->second.get();
}

std::int64_t Connection::Changes() const {
    return sqlite3_changes64(db_);
}

Status Connection::Begin() {
    return Exec("BEGIN IMMEDIATE");
}

}  // namespace mh::store::sqlite
