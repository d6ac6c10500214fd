#include "store/sqlite/sqlite_store.hpp"

#include <filesystem>

#include "store/sqlite/migrations.hpp"
#include "store/sqlite/queries.hpp"

namespace mh::store::sqlite {

namespace {

constexpr std::string_view kTenantColumns = "id, name, time_zone, raw_retention_days, created_at";
constexpr std::string_view kUserColumns =
    "id, email, display_name, password_hash, system_admin, email_verified, created_at, language";
constexpr std::string_view kDeviceColumns =
    "id, tenant_id, name, source, COALESCE(serial, ''), model, created_at, firmware, rated_power_w, poll_address, mppt_count";
constexpr std::string_view kSeriesColumns = "id, tenant_id, device_id, metric, unit, kind";
constexpr std::string_view kRollupColumns =
    "series_id, tenant_id, resolution, bucket, count, min, max, sum, first_ts, first, last_ts, last, increase, "
    "integral";


Tenant TenantFrom(const Statement& s) {
    return Tenant{TenantId{s.Int(0)}, s.Text(1), s.Text(2), s.Int(3), FromMillis(s.Int(4))};
}

User UserFrom(const Statement& s) {
    return User{UserId{s.Int(0)}, s.Text(1),           s.Text(2), s.Text(3),
                s.Int(4) != 0,    s.Int(5) != 0,       FromMillis(s.Int(6)), s.Text(7)};
}

}  // namespace

Device DeviceFrom(const Statement& s) {
    std::optional<double> rated_power_w;
    if (!s.IsNull(8)) rated_power_w = s.Real(8);
    std::optional<int> mppt_count;
    if (!s.IsNull(10)) mppt_count = static_cast<int>(s.Int(10));
    return Device{DeviceId{s.Int(0)}, TenantId{s.Int(1)}, s.Text(2),     s.Text(3), s.Text(4),
                  s.Text(5),          FromMillis(s.Int(6)), s.Text(7), rated_power_w, mppt_count, s.Text(9)};
}

std::string_view DeviceColumns() {
    return kDeviceColumns;
}

namespace {

Series SeriesFrom(const Statement& s) {
    return Series{SeriesId{s.Int(0)}, TenantId{s.Int(1)}, DeviceId{s.Int(2)},
                  s.Text(3),          s.Text(4),          ParseSeriesKind(s.Text(5)).value_or(SeriesKind::kGauge)};
}

RollupRow RollupFrom(const Statement& s) {
    RollupRow r;
    r.series = SeriesId{s.Int(0)};
    r.tenant = TenantId{s.Int(1)};
    r.resolution_s = static_cast<std::int32_t>(s.Int(2));
    r.bucket_ms = s.Int(3);
    r.count = s.Int(4);
    r.min = s.Real(5);
    r.max = s.Real(6);
    r.sum = s.Real(7);
    r.first_ts = s.Int(8);
    r.first = s.Real(9);
    r.last_ts = s.Int(10);
    r.last = s.Real(11);
    r.increase = s.Real(12);
    r.integral = s.Real(13);
    return r;
}

ChunkRow ChunkFrom(const Statement& s) {
    const auto blob = s.Blob(5);
    return ChunkRow{SeriesId{s.Int(0)}, TenantId{s.Int(1)}, s.Int(2), s.Int(3), s.Int(4), {blob.begin(), blob.end()}};
}

auto NoBind = [](Statement&) {};

}  // namespace

SqliteStore::SqliteStore(std::string path, const Clock& clock, IdGenerator& ids, Options options,
                         std::unique_ptr<Connection> writer)
    : path_(std::move(path)), clock_(clock), ids_(ids), options_(options), writer_(std::move(writer)) {}

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, const Clock& clock, IdGenerator& ids,
                                                       Options options) {
    std::error_code ec;
    const auto parent = std::filesystem::path(path).parent_path();
    if (options.read_only) {
        if (!std::filesystem::exists(path, ec)) {
            return MakeError(Errc::kNotFound, "no database at " + path + " (run `meterhub db migrate` or serve)");
        }
    } else if (!parent.empty()) {
        std::filesystem::create_directories(parent, ec);
        if (ec) return MakeError(Errc::kUnavailable, "cannot create " + parent.string() + ": " + ec.message());
    }
    MH_ASSIGN_OR_RETURN(auto writer, Connection::Open(path, options.read_only));
    std::unique_ptr<SqliteStore> store(new SqliteStore(path, clock, ids, options, std::move(writer)));
    MH_ASSIGN_OR_RETURN(int version, store->SchemaVersion());
    if (options.migrate && !options.read_only) {
        MH_RETURN_IF_ERROR(store->Migrate());
    } else if (version != LatestSchemaVersion()) {
        return MakeError(Errc::kFailedPrecondition, "database " + path + " is at schema version " +
                                                        std::to_string(version) + ", this meterhub needs " +
                                                        std::to_string(LatestSchemaVersion()) +
                                                        " (run `meterhub db migrate`)");
    }
    return store;
}

Result<int> SqliteStore::SchemaVersion() {
    std::lock_guard lock(writer_mutex_);
    if (options_.read_only) {
        MH_ASSIGN_OR_RETURN(Statement stmt,
                            writer_->Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
        MH_ASSIGN_OR_RETURN(bool row, stmt.Step());
        return row ? static_cast<int>(stmt.Int(0)) : 0;
    }
    return sqlite::SchemaVersion(*writer_);
}

Result<int> SqliteStore::Migrate() {
    std::lock_guard lock(writer_mutex_);
    return sqlite::Migrate(*writer_, clock_);
}

Result<SqliteStore::Reader> SqliteStore::AcquireReader() {
    {
        std::lock_guard lock(readers_mutex_);
        if (!idle_readers_.empty()) {
            auto connection = std::move(idle_readers_.back());
            idle_readers_.pop_back();
            return Reader(this, std::move(connection));
        }
    }
    MH_ASSIGN_OR_RETURN(auto connection, Connection::Open(path_, true));
    return Reader(this, std::move(connection));
}

void SqliteStore::ReleaseReader(std::unique_ptr<Connection> connection) {
    std::lock_guard lock(readers_mutex_);
    constexpr std::size_t kMaxIdleReaders = 16;
    if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(connection));
}

// ---- Tenants ----

Result<Tenant> SqliteStore::CreateTenant(const NewTenant& t) {
    Tenant tenant{ids_.Next<TenantId>(), t.name, t.time_zone, t.raw_retention_days, clock_.Now()};
    std::lock_guard lock(writer_mutex_);
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer_->Cached("INSERT INTO tenants (id, name, time_zone, raw_retention_days, created_at) "
                                        "VALUES (?, ?, ?, ?, ?)"));
    stmt->Bind(1, tenant.id.value())
        .Bind(2, tenant.name)
        .Bind(3, tenant.time_zone)
        .Bind(4, tenant.raw_retention_days)
        .Bind(5, ToMillis(tenant.created_at));
    MH_RETURN_IF_ERROR(NameTaken(stmt->Run(), "tenant '" + t.name + "'"));
    return tenant;
}

Result<std::vector<Tenant>> SqliteStore::ListTenants() {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    return QueryAll(*reader, Sql({"SELECT ", kTenantColumns, " FROM tenants ORDER BY name"}), NoBind, &TenantFrom);
}

Result<Tenant> SqliteStore::FindTenant(std::string_view name) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    return QueryOne(
        *reader, Sql({"SELECT ", kTenantColumns, " FROM tenants WHERE name = ?"}),
        [&](Statement& s) { s.Bind(1, name); }, &TenantFrom, "tenant '" + std::string(name) + "'");
}

Result<Tenant> SqliteStore::GetTenant(TenantId id) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    return QueryOne(
        *reader, Sql({"SELECT ", kTenantColumns, " FROM tenants WHERE id = ?"}),
        [&](Statement& s) { s.Bind(1, id.value()); }, &TenantFrom, "tenant");
}

Status SqliteStore::DeleteTenant(TenantId id) {
    std::lock_guard lock(writer_mutex_);
    MH_ASSIGN_OR_RETURN(Statement * stmt, writer_->Cached("DELETE FROM tenants WHERE id = ?"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, id.value()).Run());
    return RequireChanged(*writer_, "tenant");
}

Status SqliteStore::SetTenantRetention(TenantId id, std::int64_t raw_retention_days) {
    if (raw_retention_days < 1) return MakeError(Errc::kInvalidArgument, "retention must be at least one day");
    std::lock_guard lock(writer_mutex_);
    MH_ASSIGN_OR_RETURN(Statement * stmt, writer_->Cached("UPDATE tenants SET raw_retention_days = ? WHERE id = ?"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, raw_retention_days).Bind(2, id.value()).Run());
    return RequireChanged(*writer_, "tenant");
}

// ---- Users ----

Result<User> SqliteStore::CreateUser(const NewUser& u) {
    User user{ids_.Next<UserId>(), u.email, u.display_name, u.password_hash, u.system_admin, false, clock_.Now()};
    std::lock_guard lock(writer_mutex_);
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer_->Cached("INSERT INTO users (id, email, display_name, password_hash, system_admin, "
                                        "email_verified, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)"));
    stmt->Bind(1, user.id.value())
        .Bind(2, user.email)
        .Bind(3, user.display_name)
        .Bind(4, user.password_hash)
        .Bind(5, std::int64_t{user.system_admin ? 1 : 0})
        .Bind(6, ToMillis(user.created_at));
    MH_RETURN_IF_ERROR(NameTaken(stmt->Run(), "user '" + u.email + "'"));
    return user;
}

Result<User> SqliteStore::GetUser(UserId id) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    return QueryOne(
        *reader, Sql({"SELECT ", kUserColumns, " FROM users WHERE id = ?"}),
        [&](Statement& s) { s.Bind(1, id.value()); }, &UserFrom, "user");
}

Result<User> SqliteStore::FindUserByEmail(std::string_view email) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    return QueryOne(
        *reader, Sql({"SELECT ", kUserColumns, " FROM users WHERE email = ?"}), [&](Statement& s) { s.Bind(1, email); },
        &UserFrom, "user '" + std::string(email) + "'");
}

Result<std::vector<User>> SqliteStore::ListUsers() {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    return QueryAll(*reader, Sql({"SELECT ", kUserColumns, " FROM users ORDER BY email"}), NoBind, &UserFrom);
}

Status SqliteStore::SetPasswordHash(UserId id, std::string_view password_hash) {
    std::lock_guard lock(writer_mutex_);
    MH_ASSIGN_OR_RETURN(Statement * stmt, writer_->Cached("UPDATE users SET password_hash = ? WHERE id = ?"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, password_hash).Bind(2, id.value()).Run());
    return RequireChanged(*writer_, "user");
}

Status SqliteStore::DeleteUser(UserId id) {
    std::lock_guard lock(writer_mutex_);
    MH_ASSIGN_OR_RETURN(Statement * stmt, writer_->Cached("DELETE FROM users WHERE id = ?"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, id.value()).Run());
    return RequireChanged(*writer_, "user");
}

// ---- Memberships ----

Result<std::optional<Role>> SqliteStore::RoleOf(UserId user, TenantId tenant) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        reader->Cached("SELECT role FROM memberships WHERE tenant_id = ? AND user_id = ?"));
    stmt->Bind(1, tenant.value()).Bind(2, user.value());
    MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return std::optional<Role>();
    Role role = Role::kViewer;
    const bool known = ParseRole(stmt->Text(0), role);
    stmt->Reset();
    return known ? std::optional<Role>(role) : std::optional<Role>();
}

Status SqliteStore::SetMember(TenantId tenant, UserId user, Role role) {
    std::lock_guard lock(writer_mutex_);
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer_->Cached("INSERT INTO memberships (tenant_id, user_id, role) VALUES (?, ?, ?) "
                                        "ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = excluded.role"));
    auto status = stmt->Bind(1, tenant.value()).Bind(2, user.value()).Bind(3, RoleName(role)).Run();
    if (!status && status.error().code == Errc::kAlreadyExists) {  // a foreign key failed
        return MakeError(Errc::kNotFound, "tenant or user not found");
    }
    return status;
}

Result<std::vector<Member>> SqliteStore::ListMembers(const TenantScope& scope) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    return QueryAll(
        *reader,
        "SELECT m.user_id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id "
        "WHERE m.tenant_id = ? ORDER BY u.email",
        [&](Statement& s) { s.Bind(1, scope.tenant().value()); },
        +[](const Statement& s) {
            Member m{UserId{s.Int(0)}, s.Text(1), Role::kViewer};
            ParseRole(s.Text(2), m.role);
            return m;
        });
}

Result<std::vector<Membership>> SqliteStore::MembershipsOf(UserId user) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    return QueryAll(
        *reader,
        "SELECT t.id, t.name, t.time_zone, t.raw_retention_days, t.created_at, m.role FROM memberships m "
        "JOIN tenants t ON t.id = m.tenant_id WHERE m.user_id = ? ORDER BY t.name",
        [&](Statement& s) { s.Bind(1, user.value()); },
        +[](const Statement& s) {
            Membership m{TenantFrom(s), Role::kViewer};
            ParseRole(s.Text(5), m.role);
            return m;
        });
}

Status SqliteStore::RemoveMember(const TenantScope& scope, UserId user) {
    std::lock_guard lock(writer_mutex_);
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer_->Cached("DELETE FROM memberships WHERE tenant_id = ? AND user_id = ?"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, scope.tenant().value()).Bind(2, user.value()).Run());
    return RequireChanged(*writer_, "member");
}

// ---- Devices ----

Result<Device> SqliteStore::CreateDevice(const TenantScope& scope, const NewDevice& d) {
    Device device{ids_.Next<DeviceId>(), scope.tenant(), d.name, d.source,        d.serial,     d.model,
                  clock_.Now(),          "",             d.rated_power_w, d.mppt_count, d.poll_address};
    std::lock_guard lock(writer_mutex_);
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer_->Cached("INSERT INTO devices (id, tenant_id, name, source, serial, model, created_at, "
                                        "poll_address, rated_power_w, mppt_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    stmt->Bind(1, device.id.value()).Bind(2, device.tenant.value()).Bind(3, device.name).Bind(4, device.source);
    if (device.serial.empty()) {
        stmt->BindNull(5);
    } else {
        stmt->Bind(5, device.serial);
    }
    stmt->Bind(6, device.model).Bind(7, ToMillis(device.created_at)).Bind(8, device.poll_address);
    BindOptional(*stmt, 9, device.rated_power_w);
    BindOptional(*stmt, 10, device.mppt_count);
    MH_RETURN_IF_ERROR(NameTaken(stmt->Run(), "a device with serial '" + d.serial + "'"));
    if (!device.serial.empty()) {  // registered now, so no longer waiting to be claimed
        MH_ASSIGN_OR_RETURN(Statement * unclaimed,
                            writer_->Cached("DELETE FROM unclaimed_devices WHERE source = ? AND serial = ?"));
        MH_RETURN_IF_ERROR(unclaimed->Bind(1, device.source).Bind(2, device.serial).Run());
    }
    return device;
}

Result<std::vector<Device>> SqliteStore::ListDevices(const TenantScope& scope) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    return QueryAll(
        *reader, Sql({"SELECT ", kDeviceColumns, " FROM devices WHERE tenant_id = ? ORDER BY name, id"}),
        [&](Statement& s) { s.Bind(1, scope.tenant().value()); }, &DeviceFrom);
}

Result<Device> SqliteStore::GetDevice(const TenantScope& scope, DeviceId id) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    return QueryOne(
        *reader, Sql({"SELECT ", kDeviceColumns, " FROM devices WHERE tenant_id = ? AND id = ?"}),
        [&](Statement& s) { s.Bind(1, scope.tenant().value()).Bind(2, id.value()); }, &DeviceFrom, "device");
}

Result<Device> SqliteStore::FindDeviceBySerial(const TenantScope& scope, std::string_view serial) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    return QueryOne(
        *reader, Sql({"SELECT ", kDeviceColumns, " FROM devices WHERE tenant_id = ? AND serial = ?"}),
        [&](Statement& s) { s.Bind(1, scope.tenant().value()).Bind(2, serial); }, &DeviceFrom,
        "device with serial '" + std::string(serial) + "'");
}

Status SqliteStore::UpdateDevice(const TenantScope& scope, DeviceId id, const DeviceUpdate& u) {
    std::lock_guard lock(writer_mutex_);
    // A set flag per field, so that one cached statement serves every combination.
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer_->Cached("UPDATE devices SET name = COALESCE(?1, name), "
                                        "serial = CASE WHEN ?2 IS NULL THEN serial ELSE NULLIF(?2, '') END, "
                                        "model = COALESCE(?3, model), poll_address = COALESCE(?4, poll_address), "
                                        "rated_power_w = COALESCE(?5, rated_power_w), "
                                        "mppt_count = COALESCE(?6, mppt_count) WHERE tenant_id = ?7 AND id = ?8"));
    BindOptional(*stmt, 1, u.name);
    BindOptional(*stmt, 2, u.serial);
    BindOptional(*stmt, 3, u.model);
    BindOptional(*stmt, 4, u.poll_address);
    BindOptional(*stmt, 5, u.rated_power_w);
    BindOptional(*stmt, 6, u.mppt_count);
    stmt->Bind(7, scope.tenant().value()).Bind(8, id.value());
    MH_RETURN_IF_ERROR(NameTaken(stmt->Run(), "a device with serial '" + u.serial.value_or("") + "'"));
    return RequireChanged(*writer_, "device");
}

Status SqliteStore::DeleteDevice(const TenantScope& scope, DeviceId id) {
    std::lock_guard lock(writer_mutex_);
    MH_ASSIGN_OR_RETURN(Statement * stmt, writer_->Cached("DELETE FROM devices WHERE tenant_id = ? AND id = ?"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, scope.tenant().value()).Bind(2, id.value()).Run());
    return RequireChanged(*writer_, "device");
}

// ---- Series ----

Result<Series> SqliteStore::EnsureSeries(const TenantScope& scope, const NewSeries& s) {
    std::lock_guard lock(writer_mutex_);
    // The device must be this tenant's: checked in the same statement that reads the existing series.
    MH_ASSIGN_OR_RETURN(Statement * device, writer_->Cached("SELECT 1 FROM devices WHERE tenant_id = ? AND id = ?"));
    device->Bind(1, scope.tenant().value()).Bind(2, s.device.value());
    MH_ASSIGN_OR_RETURN(bool found, device->Step());
    device->Reset();
    if (!found) return MakeError(Errc::kNotFound, "device not found");

    auto existing = QueryOne(
        *writer_, Sql({"SELECT ", kSeriesColumns, " FROM series WHERE device_id = ? AND metric = ?"}),
        [&](Statement& st) { st.Bind(1, s.device.value()).Bind(2, s.metric); }, &SeriesFrom, "series");
    if (existing) {
        if (existing->unit != s.unit || existing->kind != s.kind) {
            return MakeError(Errc::kAlreadyExists, "series '" + s.metric + "' exists with unit '" + existing->unit +
                                                       "' and kind " + SeriesKindName(existing->kind));
        }
        return existing;
    }
    if (existing.error().code != Errc::kNotFound) return std::move(existing).error();

    Series series{ids_.Next<SeriesId>(), scope.tenant(), s.device, s.metric, s.unit, s.kind};
    MH_ASSIGN_OR_RETURN(Statement * insert,
                        writer_->Cached("INSERT INTO series (id, tenant_id, device_id, metric, unit, kind) "
                                        "VALUES (?, ?, ?, ?, ?, ?)"));
    insert->Bind(1, series.id.value())
        .Bind(2, series.tenant.value())
        .Bind(3, series.device.value())
        .Bind(4, series.metric)
        .Bind(5, series.unit)
        .Bind(6, SeriesKindName(series.kind));
    MH_RETURN_IF_ERROR(insert->Run());
    return series;
}

Result<std::vector<Series>> SqliteStore::ListSeries(const TenantScope& scope, std::optional<DeviceId> device) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    if (device) {
        return QueryAll(
            *reader,
            Sql({"SELECT ", kSeriesColumns, " FROM series WHERE tenant_id = ? AND device_id = ? ORDER BY metric"}),
            [&](Statement& s) { s.Bind(1, scope.tenant().value()).Bind(2, device->value()); }, &SeriesFrom);
    }
    return QueryAll(
        *reader, Sql({"SELECT ", kSeriesColumns, " FROM series WHERE tenant_id = ? ORDER BY device_id, metric"}),
        [&](Statement& s) { s.Bind(1, scope.tenant().value()); }, &SeriesFrom);
}

Result<Series> SqliteStore::GetSeries(const TenantScope& scope, SeriesId id) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    return QueryOne(
        *reader, Sql({"SELECT ", kSeriesColumns, " FROM series WHERE tenant_id = ? AND id = ?"}),
        [&](Statement& s) { s.Bind(1, scope.tenant().value()).Bind(2, id.value()); }, &SeriesFrom, "series");
}

// ---- ChunkStore ----

Result<std::optional<SeriesInfo>> SqliteStore::LookupSeries(SeriesId id) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    MH_ASSIGN_OR_RETURN(Statement * stmt, reader->Cached("SELECT s.tenant_id, s.kind, t.time_zone FROM series s "
                                                         "JOIN tenants t ON t.id = s.tenant_id WHERE s.id = ?"));
    stmt->Bind(1, id.value());
    MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return std::optional<SeriesInfo>();
    SeriesInfo info{id, TenantId{stmt->Int(0)}, ParseSeriesKind(stmt->Text(1)).value_or(SeriesKind::kGauge),
                    stmt->Text(2)};
    stmt->Reset();
    return std::optional<SeriesInfo>(std::move(info));
}

Result<std::vector<ChunkRow>> SqliteStore::ReadChunks(SeriesId series, std::int64_t from_ms, std::int64_t to_ms) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    // A chunk overlaps when it starts at or before `to` and ends at or after `from`. The primary key alone would
    // walk the series from its first chunk (a year of chunk data to answer "today"), so first the index on the
    // end gives the earliest start among the chunks that reach `from` (index entries only), and then the primary
    // key walks from there to `to`, in order.
    MH_ASSIGN_OR_RETURN(Statement * first,
                        reader->Cached("SELECT MIN(start_ts) FROM chunks INDEXED BY chunks_by_end "
                                       "WHERE series_id = ? AND end_ts >= ?"));
    first->Bind(1, series.value()).Bind(2, from_ms);
    MH_ASSIGN_OR_RETURN(bool found, first->Step());
    const bool none = !found || first->IsNull(0);
    const std::int64_t lowest_start = none ? 0 : first->Int(0);
    first->Reset();
    if (none || lowest_start > to_ms) return std::vector<ChunkRow>();
    return QueryAll(
        *reader,
        "SELECT series_id, tenant_id, start_ts, end_ts, count, data FROM chunks "
        "WHERE series_id = ? AND start_ts >= ? AND start_ts <= ? AND end_ts >= ? ORDER BY start_ts",
        [&](Statement& s) { s.Bind(1, series.value()).Bind(2, lowest_start).Bind(3, to_ms).Bind(4, from_ms); },
        &ChunkFrom);
}

Result<std::optional<ChunkRow>> SqliteStore::LastChunk(SeriesId series) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        reader->Cached("SELECT series_id, tenant_id, start_ts, end_ts, count, data FROM chunks "
                                       "WHERE series_id = ? ORDER BY start_ts DESC LIMIT 1"));
    stmt->Bind(1, series.value());
    MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return std::optional<ChunkRow>();
    ChunkRow chunk = ChunkFrom(*stmt);
    stmt->Reset();
    return std::optional<ChunkRow>(std::move(chunk));
}

Result<std::vector<RollupRow>> SqliteStore::ReadRollups(SeriesId series, std::int32_t resolution_s,
                                                        std::int64_t from_ms, std::int64_t to_ms) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    return QueryAll(
        *reader,
        Sql({"SELECT ", kRollupColumns,
             " FROM rollups WHERE series_id = ? AND resolution = ? AND bucket >= ? AND bucket < ? ORDER BY bucket"}),
        [&](Statement& s) {
            s.Bind(1, series.value()).Bind(2, std::int64_t{resolution_s}).Bind(3, from_ms).Bind(4, to_ms);
        },
        &RollupFrom);
}

Status SqliteStore::Write(const ChunkWrite& change, const CommitHooks& hooks) {
    std::lock_guard lock(writer_mutex_);
    MH_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*writer_));
    MH_ASSIGN_OR_RETURN(Statement * del, writer_->Cached("DELETE FROM chunks WHERE series_id = ? AND start_ts = ?"));
    for (const auto& key : change.deletes) {
        del->Reset().Bind(1, key.series.value()).Bind(2, key.start_ms);
        MH_RETURN_IF_ERROR(del->Run());
    }
    // INSERT ... SELECT FROM series: a series deleted since its samples arrived is skipped, not an error.
    MH_ASSIGN_OR_RETURN(Statement * put,
                        writer_->Cached("INSERT OR REPLACE INTO chunks (series_id, start_ts, end_ts, tenant_id, count, "
                                        "data) SELECT id, ?, ?, tenant_id, ?, ? FROM series WHERE id = ?"));
    for (const auto& chunk : change.chunks) {
        put->Reset()
            .Bind(1, chunk.start_ms)
            .Bind(2, chunk.end_ms)
            .Bind(3, chunk.count)
            .Bind(4, std::span<const std::uint8_t>(chunk.data))
            .Bind(5, chunk.series.value());
        MH_RETURN_IF_ERROR(put->Run());
    }
    MH_ASSIGN_OR_RETURN(Statement * reset, writer_->Cached("DELETE FROM rollups WHERE series_id = ? AND bucket >= ?"));
    for (const auto& r : change.rollup_resets) {
        reset->Reset().Bind(1, r.series.value()).Bind(2, r.from_ms);
        MH_RETURN_IF_ERROR(reset->Run());
    }
    // Merge: a row with count 0 carries only interval gains (increase, integral) and leaves the rest alone.
    MH_ASSIGN_OR_RETURN(
        Statement * rollup,
        writer_->Cached(Sql({"INSERT INTO rollups (", kRollupColumns,
                             ") SELECT id, tenant_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM series WHERE id = ? "
                             "ON CONFLICT (series_id, resolution, bucket) DO UPDATE SET "
                             "min = CASE WHEN excluded.count > 0 AND (count = 0 OR excluded.min < min) "
                             "THEN excluded.min ELSE min END, "
                             "max = CASE WHEN excluded.count > 0 AND (count = 0 OR excluded.max > max) "
                             "THEN excluded.max ELSE max END, "
                             "first = CASE WHEN excluded.count > 0 AND (count = 0 OR excluded.first_ts < first_ts) "
                             "THEN excluded.first ELSE first END, "
                             "first_ts = CASE WHEN excluded.count > 0 AND (count = 0 OR excluded.first_ts < first_ts) "
                             "THEN excluded.first_ts ELSE first_ts END, "
                             "last = CASE WHEN excluded.count > 0 AND (count = 0 OR excluded.last_ts > last_ts) "
                             "THEN excluded.last ELSE last END, "
                             "last_ts = CASE WHEN excluded.count > 0 AND (count = 0 OR excluded.last_ts > last_ts) "
                             "THEN excluded.last_ts ELSE last_ts END, "
                             "count = count + excluded.count, sum = sum + excluded.sum, "
                             "increase = increase + excluded.increase, integral = integral + excluded.integral"})));
    for (const auto& r : change.rollups) {
        rollup->Reset()
            .Bind(1, std::int64_t{r.resolution_s})
            .Bind(2, r.bucket_ms)
            .Bind(3, r.count)
            .Bind(4, r.min)
            .Bind(5, r.max)
            .Bind(6, r.sum)
            .Bind(7, r.first_ts)
            .Bind(8, r.first)
            .Bind(9, r.last_ts)
            .Bind(10, r.last)
            .Bind(11, r.increase)
            .Bind(12, r.integral)
            .Bind(13, r.series.value());
        MH_RETURN_IF_ERROR(rollup->Run());
    }
    if (hooks.before_commit) hooks.before_commit();
    Status committed = tx.Commit();
    if (hooks.after_commit) hooks.after_commit(committed.has_value());
    return committed;
}

Result<std::int64_t> SqliteStore::PurgeChunks(TenantId tenant, std::int64_t before_ms) {
    std::lock_guard lock(writer_mutex_);
    MH_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*writer_));
    MH_ASSIGN_OR_RETURN(Statement * count,
                        writer_->Cached("SELECT COALESCE(SUM(c.count), 0) FROM chunks c JOIN series s ON s.id = "
                                        "c.series_id WHERE s.tenant_id = ? AND c.end_ts < ?"));
    count->Bind(1, tenant.value()).Bind(2, before_ms);
    MH_ASSIGN_OR_RETURN(bool row, count->Step());
    const std::int64_t samples = row ? count->Int(0) : 0;
    count->Reset();
    MH_ASSIGN_OR_RETURN(Statement * del,
                        writer_->Cached("DELETE FROM chunks WHERE series_id IN (SELECT id FROM series WHERE "
                                        "tenant_id = ?) AND end_ts < ?"));
    MH_RETURN_IF_ERROR(del->Bind(1, tenant.value()).Bind(2, before_ms).Run());
    MH_RETURN_IF_ERROR(tx.Commit());
    return samples;
}

Result<ChunkStore::Stats> SqliteStore::ChunkStats() {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        reader->Cached("SELECT COUNT(*), COALESCE(SUM(count), 0), COALESCE(SUM(LENGTH(data)), 0) "
                                       "FROM chunks"));
    MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    Stats stats;
    if (row) stats = Stats{stmt->Int(0), stmt->Int(1), stmt->Int(2)};
    stmt->Reset();
    return stats;
}

}  // namespace mh::store::sqlite
