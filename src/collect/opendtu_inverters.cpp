#include "collect/opendtu_inverters.hpp"

namespace mh::collect {

using ingest::opendtu::Reading;

Result<std::optional<store::Device>> OpenDtuInverters::Find(std::string_view serial, std::string_view remote_address,
                                                           std::string_view details) {
    return directory_.Lookup(kOpenDtuSource, serial, remote_address, details);
}

Status OpenDtuInverters::AppendSamples(const store::Device& device, std::span<const Reading> readings,
                                       std::int64_t ts_ms, std::vector<tsdb::SeriesSample>& out) {
    std::vector<const Reading*> missing;
    {
        std::lock_guard lock(mutex_);
        SeriesCache& cache = series_[device.id];
        for (const Reading& r : readings) {
            if (auto it = cache.ids.find(r.metric); it != cache.ids.end()) {
                out.push_back({it->second, ts_ms, r.value});
            } else {
                missing.push_back(&r);
            }
        }
    }
    for (const Reading* r : missing) {  // first readings of a device: create the series outside the lock
        const auto kind = r->counter ? store::SeriesKind::kCounter : store::SeriesKind::kGauge;
        MH_ASSIGN_OR_RETURN(SeriesId id, directory_.SeriesFor(device, r->metric, r->unit, kind));
        out.push_back({id, ts_ms, r->value});
        std::lock_guard lock(mutex_);
        series_[device.id].ids.emplace(std::string(r->metric), id);
    }
    return Ok();
}

void OpenDtuInverters::Forget(DeviceId device) {
    std::lock_guard lock(mutex_);
    series_.erase(device);
}

Result<PushBatch> OpenDtuInverters::Resolve(TenantId tenant, const ingest::opendtu::PushPayload& payload,
                                            std::string_view remote_address) {
    PushBatch batch;
    batch.inverters.reserve(payload.inverters.size());
    for (const auto& inverter : payload.inverters) {
        InverterOutcome& outcome = batch.inverters.emplace_back();
        outcome.serial = inverter.serial;
        outcome.power_ac = inverter.ac.power_ac;
        const std::string details = "OpenDTU " + payload.dtu_serial + (inverter.name.empty() ? "" : ", " + inverter.name);
        MH_ASSIGN_OR_RETURN(auto device, Find(inverter.serial, remote_address, details));
        if (!device || device->tenant != tenant) {
            outcome.error = "Inverter with serial " + inverter.serial + " not found";
            continue;
        }
        const auto readings = ingest::opendtu::ReadingsOf(inverter);
        MH_RETURN_IF_ERROR(AppendSamples(*device, readings, payload.ts_ms, batch.samples));
        outcome.device = device->id;
    }
    return batch;
}

}  // namespace mh::collect
