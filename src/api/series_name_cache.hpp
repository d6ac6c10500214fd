// SeriesNameCache: device + metric names to series ids, as the ingest path sees them. A producer that posts by
// name every few seconds should not cost a database read per request, so a device's series are kept for `ttl`
// after they were read. A metric the cached list lacks is looked up again at once (it may be new); deleting a
// device through this server clears the cache, and a deletion from elsewhere takes effect within `ttl`.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/tenant_scope.hpp"
#include "store/database.hpp"

namespace mh::api {

class SeriesNameCache {
  public:
    SeriesNameCache(store::Repositories store, const Clock& clock, std::chrono::milliseconds ttl = std::chrono::seconds(5))
        : store_(store), clock_(clock), ttl_(ttl) {}

    // The series `metric` of `device` in the scope's tenant; kNotFound when the device has no such series.
    Result<SeriesId> Find(const TenantScope& scope, DeviceId device, std::string_view metric);
    void Clear();

  private:
    static constexpr std::size_t kMaxDevices = 10'000;
    struct Entry {
        TenantId tenant;
        std::unordered_map<std::string, SeriesId> metrics;
        Timestamp fetched;
    };
    store::Repositories store_;
    const Clock& clock_;
    const std::chrono::milliseconds ttl_;
    std::mutex mutex_;
    std::unordered_map<std::int64_t, Entry> devices_;
};

}  // namespace mh::api
