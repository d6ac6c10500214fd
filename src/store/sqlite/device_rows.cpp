// SqliteStore: what collectors need about devices — lookup by source serial, learned facts, unclaimed devices
// and claiming them.
#include "store/sqlite/queries.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace mh::store::sqlite {
namespace {

constexpr std::string_view kUnclaimedColumns = "source, serial, first_seen, last_seen, frames, remote_address, details";

UnclaimedDevice UnclaimedFrom(const Statement& s) {
    return UnclaimedDevice{s.Text(0), s.Text(1), FromMillis(s.Int(2)), FromMillis(s.Int(3)), s.Int(4),
                           s.Text(5), s.Text(6)};
}

}  // namespace

Status SqliteStore::SetDeviceFacts(const TenantScope& scope, DeviceId id, const DeviceFacts& facts) {
    std::lock_guard lock(writer_mutex_);
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer_->Cached("UPDATE devices SET firmware = COALESCE(?1, firmware), "
                                        "rated_power_w = COALESCE(?2, rated_power_w), "
                                        "mppt_count = COALESCE(?5, mppt_count) WHERE tenant_id = ?3 AND id = ?4"));
    BindOptional(*stmt, 1, facts.firmware);
    BindOptional(*stmt, 2, facts.rated_power_w);
    BindOptional(*stmt, 5, facts.mppt_count);
    MH_RETURN_IF_ERROR(stmt->Bind(3, scope.tenant().value()).Bind(4, id.value()).Run());
    return RequireChanged(*writer_, "device");
}

Result<Device> SqliteStore::FindDeviceBySource(std::string_view source, std::string_view serial) {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    return QueryOne(
        *reader, Sql({"SELECT ", DeviceColumns(), " FROM devices WHERE source = ? AND serial = ?"}),
        [&](Statement& s) { s.Bind(1, source).Bind(2, serial); }, &DeviceFrom,
        std::string(source) + " device with serial '" + std::string(serial) + "'");
}

Status SqliteStore::RecordUnclaimed(const DeviceSighting& sighting) {
    std::lock_guard lock(writer_mutex_);
    MH_ASSIGN_OR_RETURN(
        Statement * stmt,
        writer_->Cached("INSERT INTO unclaimed_devices (source, serial, first_seen, last_seen, frames, remote_address, "
                        "details) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6) "
                        "ON CONFLICT (source, serial) DO UPDATE SET last_seen = MAX(last_seen, ?3), "
                        "frames = frames + ?4, remote_address = ?5, "
                        "details = CASE WHEN ?6 = '' THEN details ELSE ?6 END"));
    return stmt->Bind(1, sighting.source)
        .Bind(2, sighting.serial)
        .Bind(3, ToMillis(sighting.seen_at))
        .Bind(4, sighting.frames)
        .Bind(5, sighting.remote_address)
        .Bind(6, sighting.details)
        .Run();
}

Result<std::vector<UnclaimedDevice>> SqliteStore::ListUnclaimed() {
    MH_ASSIGN_OR_RETURN(auto reader, AcquireReader());
    return QueryAll(
        *reader, Sql({"SELECT ", kUnclaimedColumns, " FROM unclaimed_devices ORDER BY last_seen DESC, serial"}),
        [](Statement&) {}, &UnclaimedFrom);
}

Result<Device> SqliteStore::ClaimDevice(const TenantScope& scope, std::string_view serial,
                                        std::optional<std::string_view> source, std::string_view name) {
    std::lock_guard lock(writer_mutex_);
    MH_ASSIGN_OR_RETURN(auto waiting,
                        QueryAll(
                            *writer_, Sql({"SELECT ", kUnclaimedColumns, " FROM unclaimed_devices WHERE serial = ?"}),
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

    MH_ASSIGN_OR_RETURN(auto transaction, Transaction::Begin(*writer_));
    MH_ASSIGN_OR_RETURN(Statement * insert,
                        writer_->Cached("INSERT INTO devices (id, tenant_id, name, source, serial, model, created_at) "
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
                        writer_->Cached("DELETE FROM unclaimed_devices WHERE source = ? AND serial = ?"));
    MH_RETURN_IF_ERROR(remove->Bind(1, found.source).Bind(2, found.serial).Run());
    MH_RETURN_IF_ERROR(transaction.Commit());
    return device;
}

}  // namespace mh::store::sqlite
