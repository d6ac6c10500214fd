// The generated samples: PowerCurve, a PV inverter's AC power as a meter reports it (the realistic case), and
// RandomValue, full-precision random doubles (the worst case for the value codec). Both are pure functions of
// (series index, timestamp), so every part and the bare-SQLite baselines write the same values. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mh::bench {

using ValueFn = double (*)(std::size_t series_index, std::int64_t ts_ms);

// A PV inverter's AC power as a meter reports it: a daylight bell (06:00-20:00 UTC), a per-series peak of
// 2.5-5 kW, a seasonal factor and +-2 % noise, rounded to 0.1 W; exactly 0 at night. 0..5000 W.
double PowerCurve(std::size_t series_index, std::int64_t ts_ms);

// Full-precision uniform doubles in [0, 5000): the worst case for the value codec.
double RandomValue(std::size_t series_index, std::int64_t ts_ms);

}  // namespace mh::bench
