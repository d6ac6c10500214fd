#include "domain/devices.hpp"

#include <algorithm>

namespace mh::domain {
namespace {

constexpr std::string_view kSources[] = {"generic", "solarman", "opendtu", "solaredge", "usms", "fablab", "demo"};

Status TooLong(const std::optional<std::string>& value, std::string_view field, std::size_t limit) {
    if (value && value->size() > limit) {
        return MakeError(Errc::kInvalidArgument,
                         std::string(field) + ": at most " + std::to_string(limit) + " characters");
    }
    return Ok();
}

}  // namespace

std::span<const std::string_view> DeviceSources() {
    return kSources;
}

Status Devices::CheckSource(std::string_view source) {
    if (std::find(std::begin(kSources), std::end(kSources), source) != std::end(kSources)) return Ok();
    std::string list;
    for (auto s : kSources) list += (list.empty() ? "" : ", ") + std::string(s);
    return MakeError(Errc::kInvalidArgument, "source: must be one of " + list);
}

Status Devices::Check(const store::DeviceUpdate& f) {
    if (f.name && f.name->empty()) return MakeError(Errc::kInvalidArgument, "name: must not be empty");
    MH_RETURN_IF_ERROR(TooLong(f.name, "name", 128));
    MH_RETURN_IF_ERROR(TooLong(f.serial, "serial", 64));
    MH_RETURN_IF_ERROR(TooLong(f.model, "model", 64));
    MH_RETURN_IF_ERROR(TooLong(f.poll_address, "poll_address", 128));
    if (f.rated_power_w && !(*f.rated_power_w >= 0 && *f.rated_power_w <= 1e9)) {
        return MakeError(Errc::kInvalidArgument, "rated_power_w: must be between 0 and 1000000000");
    }
    if (f.mppt_count && (*f.mppt_count < 1 || *f.mppt_count > 64)) {
        return MakeError(Errc::kInvalidArgument, "mppt_count: must be between 1 and 64");
    }
    return Ok();
}

Result<store::Device> Devices::Create(const TenantScope& scope, const store::NewDevice& d) {
    if (d.name.empty()) return MakeError(Errc::kInvalidArgument, "name: is required");
    MH_RETURN_IF_ERROR(CheckSource(d.source));
    MH_RETURN_IF_ERROR(Check(store::DeviceUpdate{d.name, d.serial, d.model, d.poll_address, d.rated_power_w,
                                                 d.mppt_count}));
    MH_ASSIGN_OR_RETURN(auto device, devices_.CreateDevice(scope, d));
    Tell({DeviceChange::Kind::kCreated, device.tenant, device.id, device.source, device.serial, ""});
    return device;
}

Status Devices::Update(const TenantScope& scope, DeviceId id, const store::DeviceUpdate& update) {
    MH_RETURN_IF_ERROR(Check(update));
    MH_ASSIGN_OR_RETURN(auto before, devices_.GetDevice(scope, id));
    MH_RETURN_IF_ERROR(devices_.UpdateDevice(scope, id, update));
    Tell({DeviceChange::Kind::kUpdated, before.tenant, id, before.source, update.serial.value_or(before.serial),
          before.serial});
    return Ok();
}

Result<store::Device> Devices::Claim(const TenantScope& scope, std::string_view serial,
                                     std::optional<std::string_view> source, std::string_view name) {
    if (serial.empty() || serial.size() > 64) {
        return MakeError(Errc::kInvalidArgument, "serial: 1 to 64 characters");
    }
    if (source) MH_RETURN_IF_ERROR(CheckSource(*source));
    if (name.size() > 128) return MakeError(Errc::kInvalidArgument, "name: at most 128 characters");
    MH_ASSIGN_OR_RETURN(auto device, devices_.ClaimDevice(scope, serial, source, name));
    Tell({DeviceChange::Kind::kCreated, device.tenant, device.id, device.source, device.serial, ""});
    return device;
}

Status Devices::Delete(const TenantScope& scope, DeviceId id) {
    MH_ASSIGN_OR_RETURN(auto before, devices_.GetDevice(scope, id));
    MH_ASSIGN_OR_RETURN(auto series, devices_.ListSeries(scope, id));
    MH_RETURN_IF_ERROR(devices_.DeleteDevice(scope, id));
    std::vector<SeriesId> ids;
    ids.reserve(series.size());
    for (const auto& s : series) ids.push_back(s.id);
    if (engine_ != nullptr) engine_->ForgetSeries(ids);
    Tell({DeviceChange::Kind::kDeleted, before.tenant, id, before.source, "", before.serial});
    return Ok();
}

void Devices::AddListener(Listener listener) {
    std::lock_guard lock(listeners_mutex_);
    listeners_.push_back(std::move(listener));
}

void Devices::SetAnnouncer(Listener announcer) {
    std::lock_guard lock(listeners_mutex_);
    announcer_ = std::move(announcer);
}

void Devices::Heard(const DeviceChange& change) const {
    std::lock_guard lock(listeners_mutex_);
    for (const auto& listener : listeners_) listener(change);
}

void Devices::Tell(const DeviceChange& change) const {
    std::lock_guard lock(listeners_mutex_);
    for (const auto& listener : listeners_) listener(change);
    if (announcer_) announcer_(change);
}

}  // namespace mh::domain
