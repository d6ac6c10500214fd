// From a decoded Solarman report (push frame or register poll) to what the engine and the device row take.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collect/device_directory.hpp"
#include "ingest/solarman/payload.hpp"
#include "tsdb/sample.hpp"

namespace mh::collect {

// One device's series ids by metric, kept by whoever reports for that device (a logger connection, a poller):
// the hot path then finds a series without a lock or an allocation. Stale after the device is deleted; a
// failed write clears it.
struct SeriesCache {
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    DeviceId device;
    std::unordered_map<std::string, SeriesId, Hash, std::equal_to<>> ids;
};

// The report's samples for `device` at `ts_ms`, each with its series (created on first use). A sample whose
// series cannot be had is logged and left out.
std::vector<tsdb::SeriesSample> SamplesOf(DeviceDirectory& directory, const store::Device& device,
                                          const ingest::solarman::DataReport& report, std::int64_t ts_ms,
                                          SeriesCache& cache);

// The same from `cache` alone, without the database: nullopt when a series is not in the cache yet.
std::optional<std::vector<tsdb::SeriesSample>> CachedSamplesOf(const store::Device& device,
                                                               const ingest::solarman::DataReport& report,
                                                               std::int64_t ts_ms, const SeriesCache& cache);

// What the report says about the device itself: firmware version and rated power, when present.
store::DeviceFacts FactsOf(const ingest::solarman::DataReport& report);

}  // namespace mh::collect
