#include "api/series_name_cache.hpp"

namespace mh::api {

Result<SeriesId> SeriesNameCache::Find(const TenantScope& scope, DeviceId device, std::string_view metric) {
    if (const auto cached = devices_.Find(device.value()); cached && (*cached)->tenant == scope.tenant()) {
        if (const auto found = (*cached)->metrics.find(metric); found != (*cached)->metrics.end()) {
            return found->second;
        }
    }
    const std::uint64_t read_at = devices_.generation();  // a deletion during the read is not undone by the Put
    MH_ASSIGN_OR_RETURN(auto list, store_.ListSeries(scope, device));
    auto entry = std::make_shared<DeviceSeries>();
    entry->tenant = scope.tenant();
    for (auto& series : list) entry->metrics.emplace(std::move(series.metric), series.id);
    const auto found = entry->metrics.find(metric);
    const bool known = found != entry->metrics.end();
    const SeriesId id = known ? found->second : SeriesId{};
    devices_.Put(device.value(), std::move(entry), read_at);
    if (!known) {
        return MakeError(Errc::kNotFound,
                         "device " + std::to_string(device.value()) + " has no series '" + std::string(metric) + "'");
    }
    return id;
}

}  // namespace mh::api
