#include "domain/devices.hpp"

#include <vector>

namespace mh::domain {

Status DeleteDevice(store::Repositories store, tsdb::Engine& engine, const TenantScope& scope, DeviceId device) {
    MH_ASSIGN_OR_RETURN(auto series, store.devices().ListSeries(scope, device));
    MH_RETURN_IF_ERROR(store.devices().DeleteDevice(scope, device));
    std::vector<SeriesId> ids;
    ids.reserve(series.size());
    for (const auto& s : series) ids.push_back(s.id);
    engine.ForgetSeries(ids);
    return Ok();
}

}  // namespace mh::domain
