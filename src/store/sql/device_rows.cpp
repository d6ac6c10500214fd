// SqlDevices: devices, their series, and the unclaimed devices collectors have heard from.
#include "store/sql/queries.hpp"
#include "store/sql/repositories.hpp"
#include "store/sql/rows.hpp"

namespace mh::store::sql {
namespace {

constexpr std::string_view kSeriesColumns = "id, tenant_id, device_id, metric, unit, kind";
constexpr std::string_view kUnclaimedColumns = "source, serial, first_seen, last_seen, frames, remote_address, details";

Series SeriesFrom(const Statement& s) {
    return Series{SeriesId{s.Int(0)}, TenantId{s.Int(1)}, DeviceId{s.Int(2)},
                  s.Text(3),          s.Text(4),          ParseSeriesKind(s.Text(5)).value_or(SeriesKind::kGauge)};
}

UnclaimedDevice UnclaimedFrom(const Statement& s) {
    return UnclaimedDevice{s.Text(0), s.Text(1), FromMillis(s.Int(2)), FromMillis(s.Int(3)), s.Int(4),
                           s.Text(5), s.Text(6)};
}

}  // namespace

Result<Device> SqlDevices::CreateDevice(const TenantScope& scope, const NewDevice& d) {
    Device device{ids_.Next<DeviceId>(), scope.tenant(), d.name, d.source,        d.serial,     d.model,
                  clock_.Now(),          "",             d.rated_power_w, d.mppt_count, d.poll_address};
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::Tenant(scope)));
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer->Cached("INSERT INTO devices (id, tenant_id, name, source, serial, model, created_at, "
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
                            writer->Cached("DELETE FROM unclaimed_devices WHERE source = ? AND serial = ?"));
        MH_RETURN_IF_ERROR(unclaimed->Bind(1, device.source).Bind(2, device.serial).Run());
    }
    return device;
}

Result<std::vector<Device>> SqlDevices::ListDevices(const TenantScope& scope) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::Tenant(scope)));
    return QueryAll(
        *reader, Sql({"SELECT ", kDeviceColumns, " FROM devices WHERE tenant_id = ? ORDER BY name, id"}),
        [&](Statement& s) { s.Bind(1, scope.tenant().value()); }, &DeviceFrom);
}

Result<Device> SqlDevices::GetDevice(const TenantScope& scope, DeviceId id) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::Tenant(scope)));
    return QueryOne(
        *reader, Sql({"SELECT ", kDeviceColumns, " FROM devices WHERE tenant_id = ? AND id = ?"}),
        [&](Statement& s) { s.Bind(1, scope.tenant().value()).Bind(2, id.value()); }, &DeviceFrom, "device");
}

Result<Device> SqlDevices::FindDeviceBySerial(const TenantScope& scope, std::string_view serial) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::Tenant(scope)));
    return QueryOne(
        *reader, Sql({"SELECT ", kDeviceColumns, " FROM devices WHERE tenant_id = ? AND serial = ?"}),
        [&](Statement& s) { s.Bind(1, scope.tenant().value()).Bind(2, serial); }, &DeviceFrom,
        "device with serial '" + std::string(serial) + "'");
}

Status SqlDevices::UpdateDevice(const TenantScope& scope, DeviceId id, const DeviceUpdate& u) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::Tenant(scope)));
    // A set flag per field, so that one cached statement serves every combination.
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer->Cached("UPDATE devices SET name = COALESCE(?1, name), "
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
    return RequireChanged(*writer, "device");
}

Status SqlDevices::DeleteDevice(const TenantScope& scope, DeviceId id) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::Tenant(scope)));
    MH_ASSIGN_OR_RETURN(Statement * stmt, writer->Cached("DELETE FROM devices WHERE tenant_id = ? AND id = ?"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, scope.tenant().value()).Bind(2, id.value()).Run());
    return RequireChanged(*writer, "device");
}

Result<Series> SqlDevices::EnsureSeries(const TenantScope& scope, const NewSeries& s) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::Tenant(scope)));
    // The device must be this tenant's: checked in the same statement that reads the existing series.
    MH_ASSIGN_OR_RETURN(Statement * device, writer->Cached("SELECT 1 FROM devices WHERE tenant_id = ? AND id = ?"));
    device->Bind(1, scope.tenant().value()).Bind(2, s.device.value());
    MH_ASSIGN_OR_RETURN(bool found, device->Step());
    device->Reset();
    if (!found) return MakeError(Errc::kNotFound, "device not found");

    const auto find_existing = [&]() -> Result<Series> {
        auto existing = QueryOne(
            *writer, Sql({"SELECT ", kSeriesColumns, " FROM series WHERE device_id = ? AND metric = ?"}),
            [&](Statement& st) { st.Bind(1, s.device.value()).Bind(2, s.metric); }, &SeriesFrom, "series");
        if (existing && (existing->unit != s.unit || existing->kind != s.kind)) {
            return MakeError(Errc::kAlreadyExists, "series '" + s.metric + "' exists with unit '" + existing->unit +
                                                       "' and kind " + SeriesKindName(existing->kind));
        }
        return existing;
    };
    auto existing = find_existing();
    if (existing || existing.error().code != Errc::kNotFound) return existing;

    Series series{ids_.Next<SeriesId>(), scope.tenant(), s.device, s.metric, s.unit, s.kind};
    MH_ASSIGN_OR_RETURN(Statement * insert,
                        writer->Cached("INSERT INTO series (id, tenant_id, device_id, metric, unit, kind) "
                                        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, metric) DO NOTHING"));
    insert->Bind(1, series.id.value())
        .Bind(2, series.tenant.value())
        .Bind(3, series.device.value())
        .Bind(4, series.metric)
        .Bind(5, series.unit)
        .Bind(6, SeriesKindName(series.kind));
    MH_RETURN_IF_ERROR(insert->Run());
    // Another writer created it between the read and the insert (on PostgreSQL writers run side by side).
    if (writer->Changes() == 0) return find_existing();
    return series;
}

Result<std::vector<Series>> SqlDevices::ListSeries(const TenantScope& scope, std::optional<DeviceId> device) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::Tenant(scope)));
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

Result<Series> SqlDevices::GetSeries(const TenantScope& scope, SeriesId id) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::Tenant(scope)));
    return QueryOne(
        *reader, Sql({"SELECT ", kSeriesColumns, " FROM series WHERE tenant_id = ? AND id = ?"}),
        [&](Statement& s) { s.Bind(1, scope.tenant().value()).Bind(2, id.value()); }, &SeriesFrom, "series");
}

Status SqlDevices::SetDeviceFacts(const TenantScope& scope, DeviceId id, const DeviceFacts& facts) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::Tenant(scope)));
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer->Cached("UPDATE devices SET firmware = COALESCE(?1, firmware), "
                                        "rated_power_w = COALESCE(?2, rated_power_w), "
                                        "mppt_count = COALESCE(?5, mppt_count) WHERE tenant_id = ?3 AND id = ?4"));
    BindOptional(*stmt, 1, facts.firmware);
    BindOptional(*stmt, 2, facts.rated_power_w);
    BindOptional(*stmt, 5, facts.mppt_count);
    MH_RETURN_IF_ERROR(stmt->Bind(3, scope.tenant().value()).Bind(4, id.value()).Run());
    return RequireChanged(*writer, "device");
}

Result<Device> SqlDevices::FindDeviceBySource(std::string_view source, std::string_view serial) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    return QueryOne(
        *reader, Sql({"SELECT ", kDeviceColumns, " FROM devices WHERE source = ? AND serial = ?"}),
        [&](Statement& s) { s.Bind(1, source).Bind(2, serial); }, &DeviceFrom,
        std::string(source) + " device with serial '" + std::string(serial) + "'");
}

Status SqlDevices::RecordUnclaimed(const DeviceSighting& sighting) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(
        Statement * stmt,
        writer->Cached(Sql({"INSERT INTO unclaimed_devices (source, serial, first_seen, last_seen, frames, "
                            "remote_address, details) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6) "
                            "ON CONFLICT (source, serial) DO UPDATE SET last_seen = ",
                            Greatest(writer->dialect(), "unclaimed_devices.last_seen", "excluded.last_seen"),
                            ", frames = unclaimed_devices.frames + excluded.frames, "
                            "remote_address = excluded.remote_address, details = CASE WHEN excluded.details = '' "
                            "THEN unclaimed_devices.details ELSE excluded.details END"})));
    return stmt->Bind(1, sighting.source)
        .Bind(2, sighting.serial)
        .Bind(3, ToMillis(sighting.seen_at))
        .Bind(4, sighting.frames)
        .Bind(5, sighting.remote_address)
        .Bind(6, sighting.details)
        .Run();
}

Result<std::vector<UnclaimedDevice>> SqlDevices::ListUnclaimed() {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    return QueryAll(
        *reader, Sql({"SELECT ", kUnclaimedColumns, " FROM unclaimed_devices ORDER BY last_seen DESC, serial"}),
        [](Statement&) {}, &UnclaimedFrom);
}

Result<Device> SqlDevices::ClaimDevice(const TenantScope& scope, std::string_view serial,
                                        std::optional<std::string_view> source, std::string_view name) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::Tenant(scope)));
    MH_ASSIGN_OR_RETURN(auto waiting,
                        QueryAll(
                            *writer, Sql({"SELECT ", kUnclaimedColumns, " FROM unclaimed_devices WHERE serial = ?"}),
                            [&](Statement& s) { s.Bind(1, serial); }, &UnclaimedFrom));
    std::erase_if(waiting, [&](const UnclaimedDevice& d) { return source && d.source != *source; });
    if (waiting.empty()) {
        return MakeError(Errc::kNotFound, "no unclaimed device with serial '" + std::string(serial) +
                                              "' has connected (add it as a device instead)");
    }
    if (waiting.size() > 1) {
        return MakeError(Errc::kInvalidArgument,
                         "devices of several sources have serial '" + std::string(serial) + "'; name the source");
    }
    const UnclaimedDevice& found = waiting.front();
    Device device{ids_.Next<DeviceId>(),
                  scope.tenant(),
                  name.empty() ? found.source + " " + found.serial : std::string(name),
                  found.source,
                  found.serial,
                  "",
                  clock_.Now(),
                  "",
                  std::nullopt,
                  std::nullopt,
                  ""};

    MH_ASSIGN_OR_RETURN(auto transaction, Transaction::Begin(*writer));
    MH_ASSIGN_OR_RETURN(Statement * insert,
                        writer->Cached("INSERT INTO devices (id, tenant_id, name, source, serial, model, created_at) "
                                        "VALUES (?, ?, ?, ?, ?, '', ?)"));
    MH_RETURN_IF_ERROR(NameTaken(insert->Bind(1, device.id.value())
                                     .Bind(2, device.tenant.value())
                                     .Bind(3, device.name)
                                     .Bind(4, device.source)
                                     .Bind(5, device.serial)
                                     .Bind(6, ToMillis(device.created_at))
                                     .Run(),
                                 "a device with serial '" + device.serial + "'"));
    MH_ASSIGN_OR_RETURN(Statement * remove,
                        writer->Cached("DELETE FROM unclaimed_devices WHERE source = ? AND serial = ?"));
    MH_RETURN_IF_ERROR(remove->Bind(1, found.source).Bind(2, found.serial).Run());
    MH_RETURN_IF_ERROR(transaction.Commit());
    return device;
}

}  // namespace mh::store::sql
