// The values the time-series engine moves around: a sample of one series, and a sample tagged with its
// series for the write path.
#pragma once

#include <cstdint>

#include "core/ids.hpp"

namespace mh::tsdb {

// One measurement of one series: milliseconds since the Unix epoch (UTC) and a finite value.
struct Sample {
    std::int64_t ts_ms = 0;
    double value = 0.0;

    friend bool operator==(const Sample&, const Sample&) = default;
};

// A sample on its way into the engine.
struct SeriesSample {
    SeriesId series;
    std::int64_t ts_ms = 0;
    double value = 0.0;

    friend bool operator==(const SeriesSample&, const SeriesSample&) = default;
};

}  // namespace mh::tsdb
