// OpenDtuInverters: from OpenDTU readings (HTTP push or MQTT) to samples of the registered inverters.
//
// An OpenDTU names its inverters by serial. Inverters are devices of source "opendtu"; a push may only feed the
// inverters of the tenant whose API key it carries (others are "not found", so existence does not leak), and
// serials no tenant has registered are recorded as unclaimed devices. Series are created on first use and their
// ids cached per device, so a push resolves its 70-odd values without a store read or an allocation per value.
//
// Thread-safe.
#pragma once

#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collect/device_directory.hpp"
#include "collect/report_samples.hpp"
#include "ingest/opendtu/push_payload.hpp"
#include "ingest/opendtu/samples.hpp"
#include "tsdb/sample.hpp"

namespace mh::collect {

inline constexpr std::string_view kOpenDtuSource = "opendtu";

// What became of one inverter of a push.
struct InverterOutcome {
    std::string serial;
    std::optional<DeviceId> device;  // set when its samples are in the batch
    double power_ac = 0;
    std::string error;  // why not, e.g. "Inverter with serial X not found"
};

struct PushBatch {
    std::vector<InverterOutcome> inverters;
    std::vector<tsdb::SeriesSample> samples;  // of every inverter that was found, at the payload's time
};

class OpenDtuInverters {
  public:
    explicit OpenDtuInverters(DeviceDirectory& directory) : directory_(directory) {}

    // The tenant's inverters of the payload and their samples; writing them is the caller's.
    Result<PushBatch> Resolve(TenantId tenant, const ingest::opendtu::PushPayload& payload,
                              std::string_view remote_address);

    // The registered inverter of `serial` (any tenant), or nullopt after recording it as unclaimed.
    Result<std::optional<store::Device>> Find(std::string_view serial, std::string_view remote_address,
                                              std::string_view details = "");

    // Appends the readings of `device` at `ts_ms` to `out`, creating series on first use.
    Status AppendSamples(const store::Device& device, std::span<const ingest::opendtu::Reading> readings,
                         std::int64_t ts_ms, std::vector<tsdb::SeriesSample>& out);

    // Stores what the inverter says about itself (firmware), when it differs from what is known.
    Status UpdateFacts(const store::Device& device, const store::DeviceFacts& facts) {
        return directory_.UpdateFacts(device, facts);
    }

    // After a write found a series gone (device deleted): forget its ids.
    void Forget(DeviceId device);

  private:
    DeviceDirectory& directory_;
    std::mutex mutex_;
    std::unordered_map<DeviceId, SeriesCache> series_;
};

}  // namespace mh::collect
