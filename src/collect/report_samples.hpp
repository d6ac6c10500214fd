// From a decoded Solarman report (push frame or register poll) to what the engine and the device row take.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "collect/device_directory.hpp"
#include "ingest/solarman/payload.hpp"
#include "tsdb/sample.hpp"

namespace mh::collect {

// The report's samples for `device` at `ts_ms`, each with its series (created on first use). A sample whose
// series cannot be had is logged and left out.
std::vector<tsdb::SeriesSample> SamplesOf(DeviceDirectory& directory, const store::Device& device,
                                          const ingest::solarman::DataReport& report, std::int64_t ts_ms);

// What the report says about the device itself: firmware version and rated power, when present.
store::DeviceFacts FactsOf(const ingest::solarman::DataReport& report);

}  // namespace mh::collect
