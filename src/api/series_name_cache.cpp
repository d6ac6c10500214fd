#include "api/series_name_cache.hpp"

namespace mh::api {

Result<SeriesId> SeriesNameCache::Find(const TenantScope& scope, DeviceId device, std::string_view metric) {
    const Timestamp now = clock_.Now();
    {
        std::lock_guard lock(mutex_);
        if (auto it = devices_.find(device.value());
            it != devices_.end() && it->second.tenant == scope.tenant() && now - it->second.fetched < ttl_) {
            if (auto found = it->second.metrics.find(std::string(metric)); found != it->second.metrics.end()) {
                return found->second;
            }
        }
    }
    MH_ASSIGN_OR_RETURN(auto list, store_.devices().ListSeries(scope, device));
    Entry entry{scope.tenant(), {}, now};
    for (auto& series : list) entry.metrics.emplace(std::move(series.metric), series.id);
    const auto found = entry.metrics.find(std::string(metric));
    const bool known = found != entry.metrics.end();
    const SeriesId id = known ? found->second : SeriesId{};
    {
        std::lock_guard lock(mutex_);
        if (devices_.size() >= kMaxDevices) devices_.clear();  // a bound, not a policy
        devices_.insert_or_assign(device.value(), std::move(entry));
    }
    if (!known) {
        return MakeError(Errc::kNotFound,
                         "device " + std::to_string(device.value()) + " has no series '" + std::string(metric) + "'");
    }
    return id;
}

void SeriesNameCache::Clear() {
    std::lock_guard lock(mutex_);
    devices_.clear();
}

}  // namespace mh::api
