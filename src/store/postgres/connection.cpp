#include "store/postgres/connection.hpp"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "store/postgres/placeholders.hpp"
#include "store/postgres/roles.hpp"

namespace mh::store::postgres {
namespace {

// The statement that sets a transaction's role and tenant, prepared once per connection.
constexpr const char* kAccessStatement = "mh_access";

// "meterhub" read as a big-endian 64-bit number: the advisory lock key of schema changes.
constexpr std::int64_t kSchemaLockKey = 7882834701841888610;

std::string Trimmed(const char* message) {
    std::string text = message != nullptr ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

std::string_view Context(std::string_view sql) {
    return sql.substr(0, 60);
}

bool StartsWith(const char* text, const char* prefix) {
    return std::strncmp(text, prefix, std::strlen(prefix)) == 0;
}

// The parameter number of the `$N` at an error's position (1-based, in characters), or 0.
int ParameterAt(const std::string& text, const char* position) {
    if (position == nullptr) return 0;
    long characters = std::strtol(position, nullptr, 10);
    std::size_t i = 0;
    for (; i < text.size() && characters > 1; ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) --characters;  // not a UTF-8 continuation byte
    }
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
    if (i >= text.size() || text[i] != '$') return 0;
    return static_cast<int>(std::strtol(text.c_str() + i + 1, nullptr, 10));
}

void IgnoreNotice(void*, const char* message) {
    spdlog::debug("postgresql: {}", Trimmed(message));
}

}  // namespace

Error PostgresError(pg_conn* conn, pg_result* result, std::string_view context) {
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const std::string message =
        Trimmed(result != nullptr && *PQresultErrorMessage(result) != '\0' ? PQresultErrorMessage(result)
                                                                           : PQerrorMessage(conn));
    Errc errc = Errc::kInternal;
    const std::string_view code = state != nullptr ? state : "";
    if (code.starts_with("23")) {
        errc = Errc::kAlreadyExists;  // unique, foreign key, check, not null: SQLite's SQLITE_CONSTRAINT
    } else if (code.starts_with("08") || code.starts_with("53") || code.starts_with("57P") || code == "40001" ||
               code == "40P01" || code == "55P03" || code == "25006") {
        // Connection trouble, resources, shutdown, serialisation, deadlock, lock timeout, read-only: SQLite's
        // BUSY, CANTOPEN, READONLY and FULL.
        errc = Errc::kUnavailable;
    } else if (code.starts_with("22")) {
        errc = Errc::kInvalidArgument;  // data exceptions: a NUL in text, a number out of range
    } else if (code.empty() && PQstatus(conn) == CONNECTION_BAD) {
        errc = Errc::kUnavailable;
    }
    return MakeError(errc, std::string(context) + ": " + message);
}

// --- Statement -------------------------------------------------------------------------------------------------

Statement::Statement(Connection& connection, std::string text, int parameters, bool cached)
    : connection_(connection), text_(std::move(text)), cached_(cached), parameters_(parameters) {}

Statement::~Statement() {
    ClearResult();
}

void Statement::ClearResult() {
    if (result_ != nullptr) PQclear(result_);
    result_ = nullptr;
    row_ = -1;
    rows_ = 0;
    column_types_.clear();
}

Statement& Statement::Reset() {
    ClearResult();
    for (auto& p : parameters_) p = Parameter{};
    bad_index_ = false;
    return *this;
}

Statement::Parameter* Statement::Slot(int index) {
    if (index < 1 || static_cast<std::size_t>(index) > parameters_.size()) {
        bad_index_ = true;
        return nullptr;
    }
    ClearResult();  // binding after stepping starts over, as on SQLite after a reset
    return &parameters_[static_cast<std::size_t>(index) - 1];
}

Statement& Statement::Bind(int index, std::int64_t value) {
    if (auto* p = Slot(index)) {
        p->type = kInt8Oid;
        p->bytes.clear();
        AppendInt64(p->bytes, value);
    }
    return *this;
}

Statement& Statement::Bind(int index, double value) {
    if (auto* p = Slot(index)) {
        p->type = kFloat8Oid;
        p->bytes.clear();
        AppendFloat64(p->bytes, value);
    }
    return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
    if (auto* p = Slot(index)) {
        p->type = kTextOid;
        p->bytes.assign(value);
    }
    return *this;
}

Statement& Statement::Bind(int index, std::span<const std::uint8_t> blob) {
    if (auto* p = Slot(index)) {
        p->type = kByteaOid;
        p->bytes.assign(reinterpret_cast<const char*>(blob.data()), blob.size());
    }
    return *this;
}

Statement& Statement::BindNull(int index) {
    if (auto* p = Slot(index)) *p = Parameter{};
    return *this;
}

Status Statement::Execute() {
    if (bad_index_) {
        return MakeError(Errc::kInternal, std::string(Context(text_)) + ": a parameter index is out of range");
    }
    const int n = static_cast<int>(parameters_.size());
    std::vector<Oid> types(parameters_.size());
    std::vector<const char*> values(parameters_.size());
    std::vector<int> lengths(parameters_.size());
    std::vector<int> formats(parameters_.size(), 1);
    std::string signature;
    bool has_null = false;
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
        const Parameter& p = parameters_[i];
        types[i] = p.type;
        has_null = has_null || p.type == 0;
        values[i] = p.type == 0 ? nullptr : p.bytes.data();
        lengths[i] = static_cast<int>(p.bytes.size());
        signature += std::to_string(p.type);
        signature.push_back(',');
    }
    pg_conn* conn = connection_.conn_;
    // A NULL's type is the server's to infer. Where it cannot (`? IS NULL` alone), the error points at the
    // parameter, which is then sent as text, and the statement tried again. A failed statement aborts an open
    // transaction, so the retry is only possible outside one.
    const auto retry_as_text = [&](pg_result* failed) {
        const char* state = PQresultErrorField(failed, PG_DIAG_SQLSTATE);
        const bool untyped = state != nullptr && (std::strcmp(state, "42P08") == 0 || std::strcmp(state, "42P18") == 0);
        if (!has_null || !untyped || PQtransactionStatus(conn) != PQTRANS_IDLE) return false;
        const int index = ParameterAt(text_, PQresultErrorField(failed, PG_DIAG_STATEMENT_POSITION));
        if (index < 1 || index > n || types[static_cast<std::size_t>(index) - 1] != 0) return false;
        types[static_cast<std::size_t>(index) - 1] = kTextOid;
        return true;
    };

    pg_result* result = nullptr;
    if (cached_) {
        std::string* name = nullptr;
        for (auto& [types_of, statement_name] : prepared_) {
            if (types_of == signature) name = &statement_name;
        }
        if (name == nullptr) {
            if (prepared_.size() >= kMaxPreparedVariants) {
                for (const auto& variant : prepared_) (void)connection_.Exec("DEALLOCATE " + variant.second);
                prepared_.clear();
            }
            std::string fresh = connection_.NextStatementName();
            pg_result* prepared = PQprepare(conn, fresh.c_str(), text_.c_str(), n, types.data());
            while (PQresultStatus(prepared) != PGRES_COMMAND_OK && retry_as_text(prepared)) {
                PQclear(prepared);
                prepared = PQprepare(conn, fresh.c_str(), text_.c_str(), n, types.data());
            }
            MH_ASSIGN_OR_RETURN(pg_result * done, connection_.Check(prepared, Context(text_)));
            PQclear(done);
            prepared_.emplace_back(signature, std::move(fresh));
            name = &prepared_.back().second;
        }
        result =
            connection_.Execute(name->c_str(), text_, n, types.data(), values.data(), lengths.data(), formats.data());
    } else {
        result = connection_.Execute(nullptr, text_, n, types.data(), values.data(), lengths.data(), formats.data());
        while (PQresultStatus(result) == PGRES_FATAL_ERROR && retry_as_text(result)) {
            PQclear(result);
            result =
                connection_.Execute(nullptr, text_, n, types.data(), values.data(), lengths.data(), formats.data());
        }
    }
    MH_ASSIGN_OR_RETURN(result_, connection_.Check(result, Context(text_)));
    rows_ = PQntuples(result_);
    const int columns = PQnfields(result_);
    column_types_.resize(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
        const Oid type = PQftype(result_, c);
        if (!IsReadableType(type)) {
            Error error = MakeError(Errc::kInternal, std::string(Context(text_)) + ": column " + std::to_string(c) +
                                                         " (" + PQfname(result_, c) + ") is of type " + TypeName(type) +
                                                         ", which the PostgreSQL driver does not read; cast it in "
                                                         "the SQL");
            ClearResult();
            return error;
        }
        column_types_[static_cast<std::size_t>(c)] = type;
    }
    return Ok();
}

Result<bool> Statement::Step() {
    if (result_ == nullptr) MH_RETURN_IF_ERROR(Execute());
    if (++row_ < rows_) return true;
    ClearResult();  // done: the next Step runs the statement again, with the same bindings
    return false;
}

std::span<const std::uint8_t> Statement::Bytes(int column) const {
    if (result_ == nullptr || row_ < 0 || row_ >= rows_ || column < 0 ||
        static_cast<std::size_t>(column) >= column_types_.size() || PQgetisnull(result_, row_, column) != 0) {
        return {};
    }
    const auto* data = reinterpret_cast<const std::uint8_t*>(PQgetvalue(result_, row_, column));
    return {data, static_cast<std::size_t>(PQgetlength(result_, row_, column))};
}

std::int64_t Statement::Int(int column) const {
    const auto bytes = Bytes(column);
    if (bytes.empty()) return 0;
    return ReadInt(column_types_[static_cast<std::size_t>(column)], bytes).value_or(0);
}

double Statement::Real(int column) const {
    const auto bytes = Bytes(column);
    if (bytes.empty()) return 0;
    return ReadReal(column_types_[static_cast<std::size_t>(column)], bytes).value_or(0);
}

std::string Statement::Text(int column) const {
    const auto bytes = Bytes(column);
    if (bytes.empty()) return {};
    switch (column_types_[static_cast<std::size_t>(column)]) {
        case kBoolOid:
        case kInt2Oid:
        case kInt4Oid:
        case kInt8Oid: return std::to_string(Int(column));
        case kFloat4Oid:
        case kFloat8Oid:
        case kNumericOid: return std::to_string(Real(column));
        default: return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};  // text types, bytea
    }
}

std::span<const std::uint8_t> Statement::Blob(int column) const {
    return Bytes(column);
}

bool Statement::IsNull(int column) const {
    if (result_ == nullptr || row_ < 0 || row_ >= rows_ || column < 0 || column >= PQnfields(result_)) return true;
    return PQgetisnull(result_, row_, column) != 0;
}

// --- Connection ------------------------------------------------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& conninfo, bool read_only) {
    // Defaults first: the connection string (expanded from dbname) overrides them.
    const char* keywords[] = {"connect_timeout", "application_name", "client_encoding", "dbname", nullptr};
    const char* values[] = {"10", "meterhub", "UTF8", conninfo.c_str(), nullptr};
    pg_conn* conn = PQconnectdbParams(keywords, values, 1);
    if (conn == nullptr) return MakeError(Errc::kInternal, "libpq could not allocate a connection");
    if (PQstatus(conn) != CONNECTION_OK) {
        Error error = MakeError(Errc::kUnavailable, "cannot connect to " + DescribeConninfo(conninfo) + ": " +
                                                        Trimmed(PQerrorMessage(conn)));
        PQfinish(conn);
        return error;
    }
    PQsetNoticeProcessor(conn, &IgnoreNotice, nullptr);
    std::unique_ptr<Connection> connection(new Connection(conn));
    if (read_only) MH_RETURN_IF_ERROR(connection->Exec("SET default_transaction_read_only = on"));
    return connection;
}

Connection::~Connection() {
    cache_.clear();
    PQfinish(conn_);
}

Result<pg_result*> Connection::Check(pg_result* result, std::string_view context) {
    const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        Error error = PostgresError(conn_, result, context);
        PQclear(result);
        return error;
    }
    const char* tag = PQcmdStatus(result);
    if (StartsWith(tag, "INSERT") || StartsWith(tag, "UPDATE") || StartsWith(tag, "DELETE")) {
        changes_ = std::strtoll(PQcmdTuples(result), nullptr, 10);
    }
    return result;
}

Status Connection::Exec(std::string_view sql) {
    const std::string text(sql);
    MH_ASSIGN_OR_RETURN(pg_result * result, Check(PQexec(conn_, text.c_str()), Context(sql)));
    // COMMIT of a transaction that an error had aborted answers ROLLBACK, not an error: the caller went on after
    // a failure that SQLite would have let the transaction survive.
    const bool rolled_back = text == "COMMIT" && std::strcmp(PQcmdStatus(result), "ROLLBACK") == 0;
    PQclear(result);
    if (rolled_back) {
        return MakeError(Errc::kInternal, "COMMIT: the transaction had failed and was rolled back");
    }
    return Ok();
}

Status Connection::CopyIn(std::string_view copy, std::span<const std::uint8_t> data) {
    const std::string text(copy);
    pg_result* started = PQexec(conn_, text.c_str());
    if (started == nullptr || PQresultStatus(started) != PGRES_COPY_IN) {
        MH_ASSIGN_OR_RETURN(pg_result * unexpected, Check(started, Context(copy)));
        PQclear(unexpected);
        return MakeError(Errc::kInternal, std::string(Context(copy)) + ": the server did not start a COPY");
    }
    PQclear(started);
    // Blocking connection: PQputCopyData returns 1 once libpq has taken the bytes (it sends as its buffer fills).
    constexpr std::size_t kPiece = 1 << 20;
    const char* error = nullptr;
    for (std::size_t at = 0; at < data.size() && error == nullptr; at += kPiece) {
        const std::size_t n = std::min(kPiece, data.size() - at);
        if (PQputCopyData(conn_, reinterpret_cast<const char*>(data.data() + at), static_cast<int>(n)) != 1) {
            error = "sending the COPY data failed";
        }
    }
    if (PQputCopyEnd(conn_, error) != 1) error = "ending the COPY failed";
    Status status = Ok();
    // The COPY's result, then the end of results; any error among them is the COPY's.
    while (pg_result* result = PQgetResult(conn_)) {
        if (status) {
            auto checked = Check(result, Context(copy));
            if (!checked) {
                status = std::move(checked).error();
                continue;  // Check cleared it
            }
            result = *checked;
        }
        PQclear(result);
    }
    if (status && error != nullptr) return MakeError(Errc::kUnavailable, std::string(Context(copy)) + ": " + error);
    return status;
}

std::string Connection::NextStatementName() {
    return "mh_" + std::to_string(++statement_counter_);
}

Result<sql::Statement*> Connection::Cached(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it == cache_.end()) {
        if (cache_.size() >= kMaxCachedStatements) {
            return MakeError(Errc::kResourceExhausted, "more than " + std::to_string(kMaxCachedStatements) +
                                                           " distinct cached statements on one connection");
        }
        MH_ASSIGN_OR_RETURN(RewrittenSql rewritten, RewritePlaceholders(sql));
        auto stmt = std::make_unique<Statement>(*this, std::move(rewritten.text), rewritten.parameters, true);
        it = cache_.emplace(std::string(sql), std::move(stmt)).first;
    }
    it->second->Reset();
    return it->second.get();
}

Result<std::unique_ptr<sql::Statement>> Connection::Prepare(std::string_view sql) {
    MH_ASSIGN_OR_RETURN(RewrittenSql rewritten, RewritePlaceholders(sql));
    return std::unique_ptr<sql::Statement>(
        std::make_unique<Statement>(*this, std::move(rewritten.text), rewritten.parameters, false));
}

Status Connection::Begin() {
    return BeginWith("BEGIN");
}

Status Connection::BeginSnapshot() {
    return BeginWith("BEGIN ISOLATION LEVEL REPEATABLE READ");
}

Status Connection::BeginWith(const std::string& begin) {
    if (access_.kind() == sql::Access::Kind::kOwner) return Exec(begin);
    if (pg_result* failed = PrepareAccess()) {
        Error error = PostgresError(conn_, failed, "preparing the access statement");
        PQclear(failed);
        return error;
    }
    // One query: BEGIN and the prepared set_config (SQL's EXECUTE runs the protocol-level prepared statement). The
    // role and the tenant are literals from constants and an integer: nothing to quote.
    auto begun =
        Exec(begin + "; EXECUTE " + kAccessStatement + "('" + AccessRole() + "', '" + AccessTenant() + "')");
    if (!begun && in_transaction()) (void)Exec("ROLLBACK");
    return begun;
}

pg_result* Connection::PrepareAccess() {
    if (access_prepared_) return nullptr;
    const std::string sql =
        std::string("SELECT set_config('role', $1, true), set_config('") + kTenantSetting + "', $2, true)";
    pg_result* prepared = PQprepare(conn_, kAccessStatement, sql.c_str(), 2, nullptr);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) return prepared;
    PQclear(prepared);
    access_prepared_ = true;
    return nullptr;
}

const char* Connection::AccessRole() const {
    switch (access_.kind()) {
        case sql::Access::Kind::kTenant: return kAppRole;
        case sql::Access::Kind::kSystem: return kSystemRole;
        case sql::Access::Kind::kOwner: break;
    }
    return "";
}

std::string Connection::AccessTenant() const {
    // The system's transactions set it empty, so that a value left by someone's session-level SET cannot count.
    return access_.kind() == sql::Access::Kind::kTenant ? std::to_string(access_.tenant()) : std::string();
}

pg_result* Connection::Execute(const char* name, const std::string& text, int n, const Oid* types,
                               const char* const* values, const int* lengths, const int* formats) {
    const auto send = [&] {
        return name != nullptr ? PQsendQueryPrepared(conn_, name, n, values, lengths, formats, 1)
                               : PQsendQueryParams(conn_, text.c_str(), n, types, values, lengths, formats, 1);
    };
    if (access_.kind() == sql::Access::Kind::kOwner || PQtransactionStatus(conn_) != PQTRANS_IDLE) {
        // The owner's, or inside a transaction whose Begin() set the role and tenant already.
        return name != nullptr ? PQexecPrepared(conn_, name, n, values, lengths, formats, 1)
                               : PQexecParams(conn_, text.c_str(), n, types, values, lengths, formats, 1);
    }
    // A pipeline of two queries and one sync: both run in the one implicit transaction that the sync ends, so the
    // transaction-local role and tenant hold for the statement and are gone after it, at no extra round trip.
    if (pg_result* failed = PrepareAccess()) return failed;  // the caller's Check reports it
    if (PQenterPipelineMode(conn_) != 1) return nullptr;
    const std::string tenant = AccessTenant();
    const char* scope_values[] = {AccessRole(), tenant.c_str()};
    pg_result* scope = nullptr;
    pg_result* result = nullptr;
    // Each query's results end with a null; past kMaxResults something is wrong with the connection.
    constexpr int kMaxResults = 8;
    const auto next = [&] {
        pg_result* first = PQgetResult(conn_);
        for (int i = 0; first != nullptr && i < kMaxResults; ++i) {
            pg_result* more = PQgetResult(conn_);
            if (more == nullptr) break;
            PQclear(more);
        }
        return first;
    };
    if (PQsendQueryPrepared(conn_, kAccessStatement, 2, scope_values, nullptr, nullptr, 0) == 1 && send() == 1 &&
        PQpipelineSync(conn_) == 1) {
        scope = next();
        result = next();
        for (int i = 0; i < kMaxResults; ++i) {  // up to the sync
            pg_result* sync = PQgetResult(conn_);
            if (sync == nullptr) continue;
            const bool synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
            PQclear(sync);
            if (synced) break;
        }
    }
    // Fails only with results left unread: the connection then stays in pipeline mode and broken() says so.
    (void)PQexitPipelineMode(conn_);
    if (scope != nullptr && PQresultStatus(scope) == PGRES_TUPLES_OK) {
        PQclear(scope);
        return result;
    }
    PQclear(result);  // aborted with the pipeline: the scope's error says why
    return scope;
}

Status Connection::LockSchema() {
    return Exec("SELECT pg_advisory_lock(" + std::to_string(kSchemaLockKey) + ")");
}

Status Connection::UnlockSchema() {
    return Exec("SELECT pg_advisory_unlock(" + std::to_string(kSchemaLockKey) + ")");
}

bool Connection::broken() const {
    return PQstatus(conn_) != CONNECTION_OK || PQpipelineStatus(conn_) != PQ_PIPELINE_OFF;
}

bool Connection::in_transaction() const {
    return PQtransactionStatus(conn_) != PQTRANS_IDLE;
}

std::string DescribeConninfo(const std::string& conninfo) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (options == nullptr) {
        PQfreemem(error);
        return "postgresql (unparsable connection string)";
    }
    std::string user, host, port, dbname;
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
        if (o->val == nullptr) continue;
        if (std::strcmp(o->keyword, "user") == 0) user = o->val;
        if (std::strcmp(o->keyword, "host") == 0) host = o->val;
        if (std::strcmp(o->keyword, "port") == 0) port = o->val;
        if (std::strcmp(o->keyword, "dbname") == 0) dbname = o->val;
    }
    PQconninfoFree(options);
    std::string out = "postgresql://";
    if (!user.empty()) out += user + "@";
    out += host;
    if (!port.empty()) out += ":" + port;
    return out + "/" + dbname;
}

}  // namespace mh::store::postgres
