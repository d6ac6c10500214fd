// SeriesNameCache: device + metric names to series ids, as the ingest path sees them. A producer that posts by
// name every few seconds should not cost a database read per request, so a device's series are kept for `ttl`
// after they were read, in a TtlCache (core/ttl_cache.hpp: at most kMaxDevices devices, the one read longest
// ago evicted first). A metric the cached list lacks is looked up again at once (it may be new); deleting a
// device through this server clears the cache, and a deletion from elsewhere takes effect within `ttl`.
// Thread-safe; a hit takes one shard's shared lock and copies one shared_ptr.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/tenant_scope.hpp"
#include "core/ttl_cache.hpp"
#include "store/device_repository.hpp"

namespace mh::api {

class SeriesNameCache {
  public:
    static constexpr std::size_t kMaxDevices = 10'000;

    SeriesNameCache(store::DeviceRepository& store, const Clock& clock, std::chrono::milliseconds ttl = std::chrono::seconds(5))
        : store_(store), devices_(clock, ttl, kMaxDevices) {}

    // The series `metric` of `device` in the scope's tenant; kNotFound when the device has no such series.
    Result<SeriesId> Find(const TenantScope& scope, DeviceId device, std::string_view metric);
    void Clear() { devices_.Clear(); }
    TtlCacheStats stats() const { return devices_.stats(); }

  private:
    // One device's series as read from the store; immutable once cached, shared by the readers.
    struct DeviceSeries {
        TenantId tenant;
        std::unordered_map<std::string, SeriesId, TransparentStringHash, std::equal_to<>> metrics;
    };
    store::DeviceRepository& store_;
    TtlCache<std::int64_t, std::shared_ptr<const DeviceSeries>> devices_;
};

}  // namespace mh::api
