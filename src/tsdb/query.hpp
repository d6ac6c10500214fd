// Queries on top of the engine: ranges downsampled to a point budget, and the energy figures of a dashboard,
// all in the tenant's time zone.
//
// Energy of a counter series is its increase (in the counter's unit, e.g. kWh); energy of a gauge series
// (power, W) is its time integral in value-hours (Wh), with gaps capped (EngineOptions::gap_cap_ms).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/time_zone.hpp"
#include "tsdb/engine.hpp"

namespace mh::tsdb {

struct Point {
    std::int64_t ts_ms = 0;  // sample time, or bucket start
    double value = 0;        // sample value, or bucket average
    double min = 0;
    double max = 0;
    std::int64_t count = 1;
};

struct RangeResult {
    std::string resolution;      // "raw", or the source rollup: "5m", "1h", "1d"
    std::int64_t bucket_ms = 0;  // width of a point's bucket (0 for raw samples)
    std::vector<Point> points;
};

inline constexpr std::size_t kDefaultMaxPoints = 1000;

// Samples in [from, to], or buckets, so that at most `max_points` points come back: raw samples while they
// fit; raw samples folded into buckets while a bucket is shorter than an hour; else hourly or daily rollups,
// merged into buckets of the needed width.
Result<RangeResult> QueryRange(Engine& engine, const TenantScope& scope, SeriesId series, std::int64_t from_ms,
                               std::int64_t to_ms, std::size_t max_points = kDefaultMaxPoints);

// Energy (increase or integral) over [from, to); both ends should be local hour boundaries for an exact answer.
Result<double> EnergyBetween(Engine& engine, const TenantScope& scope, SeriesId series, std::int64_t from_ms,
                             std::int64_t to_ms);

enum class Period { kPerHour, kPerDay, kPerMonth, kPerYear };
std::optional<Period> ParsePeriod(std::string_view text);

struct PeriodEnergy {
    std::int64_t start_ms = 0;  // local start of the hour, day, month or year
    std::string label;          // e.g. "2026-03-29", "2026-03", "2026", "2026-03-29 14:00"
    double energy = 0;
};

// Energy per local hour, day, month or year over [from, to).
Result<std::vector<PeriodEnergy>> EnergyPer(Engine& engine, const TenantScope& scope, SeriesId series, Period period,
                                            std::int64_t from_ms, std::int64_t to_ms);

struct DayFigures {
    double energy_today = 0;
    std::optional<Point> peak_today;          // highest sample today (its 5-minute bucket's time)
    std::optional<double> last_hour_average;  // mean of the last hour's samples
    std::optional<Sample> latest;
};

Result<DayFigures> TodayFigures(Engine& engine, const TenantScope& scope, SeriesId series);

}  // namespace mh::tsdb
