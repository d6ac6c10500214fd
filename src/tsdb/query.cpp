#include "tsdb/query.hpp"

#include <algorithm>
#include <map>

namespace mh::tsdb {
namespace {

constexpr std::int64_t kHourMs = 3'600'000;

const char* ResolutionName(std::int32_t resolution_s) {
    switch (resolution_s) {
        case kHour: return "1h";
        default: return "1d";
    }
}

double EnergyOf(const store::RollupRow& row, store::SeriesKind kind) {
    return kind == store::SeriesKind::kCounter ? row.increase : row.integral;
}

// Folds points into buckets `width` wide counted from `from`.
std::vector<Point> Downsample(const std::vector<Point>& in, std::int64_t from_ms, std::int64_t width) {
    std::vector<Point> out;
    std::int64_t current = -1;
    double sum = 0;
    for (const Point& p : in) {
        const std::int64_t index = (p.ts_ms - from_ms) / width;
        if (out.empty() || index != current) {
            if (!out.empty()) out.back().value = sum / static_cast<double>(out.back().count);
            current = index;
            out.push_back(Point{from_ms + index * width, 0, p.min, p.max, 0});
            sum = 0;
        }
        Point& b = out.back();
        b.min = std::min(b.min, p.min);
        b.max = std::max(b.max, p.max);
        b.count += p.count;
        sum += p.value * static_cast<double>(p.count);
    }
    if (!out.empty()) out.back().value = sum / static_cast<double>(out.back().count);
    return out;
}

}  // namespace

Result<RangeResult> QueryRange(Engine& engine, const TenantScope& scope, SeriesId series, std::int64_t from_ms,
                               std::int64_t to_ms, std::size_t max_points) {
    if (to_ms < from_ms) return MakeError(Errc::kInvalidArgument, "the range ends before it starts");
    if (max_points < 2) return MakeError(Errc::kInvalidArgument, "at least 2 points are needed");
    const std::int64_t span = to_ms - from_ms;
    // Strictly wider than span / max_points, so bucket indexes stay below max_points.
    const std::int64_t step = span / static_cast<std::int64_t>(max_points) + 1;

    RangeResult result;
    if (step < std::int64_t{kHour} * 1000) {
        MH_ASSIGN_OR_RETURN(auto samples, engine.ReadRaw(scope, series, from_ms, to_ms));
        std::vector<Point> points;
        points.reserve(samples.size());
        for (const Sample& s : samples) points.push_back(Point{s.ts_ms, s.value, s.value, s.value, 1});
        result.resolution = "raw";
        if (points.size() <= max_points) {
            result.points = std::move(points);
        } else {
            result.bucket_ms = step;
            result.points = Downsample(points, from_ms, step);
        }
        return result;
    }
    const std::int32_t resolution = step >= std::int64_t{kDay} * 1000 ? kDay : kHour;
    const std::int64_t res_ms = std::int64_t{resolution} * 1000;
    const std::int64_t width = (step + res_ms - 1) / res_ms * res_ms;
    MH_ASSIGN_OR_RETURN(auto rows, engine.ReadRollups(scope, series, resolution, from_ms, to_ms));
    std::vector<Point> points;
    points.reserve(rows.size());
    for (const auto& row : rows) {
        if (row.count == 0) continue;
        points.push_back(Point{row.bucket_ms, row.sum / static_cast<double>(row.count), row.min, row.max, row.count});
    }
    result.resolution = ResolutionName(resolution);
    result.bucket_ms = width;
    result.points = width == res_ms ? std::move(points) : Downsample(points, from_ms, width);
    return result;
}

Result<double> EnergyBetween(Engine& engine, const TenantScope& scope, SeriesId series, std::int64_t from_ms,
                             std::int64_t to_ms) {
    MH_ASSIGN_OR_RETURN(auto info, engine.Info(scope, series));
    const TimeZone zone = ZoneOf(info);
    // Whole local days come from daily rollups; the ragged ends from hourly ones.
    std::int64_t day_from = ToMillis(zone.StartOfDay(FromMillis(from_ms)));
    if (day_from < from_ms) day_from = ToMillis(zone.StartOfNextDay(FromMillis(from_ms)));
    std::int64_t day_to = ToMillis(zone.StartOfDay(FromMillis(to_ms)));
    double energy = 0;
    auto add = [&](std::int32_t resolution, std::int64_t a, std::int64_t b) -> Status {
        if (a >= b) return Ok();
        MH_ASSIGN_OR_RETURN(auto rows, engine.ReadRollups(scope, series, resolution, a, b));
        for (const auto& row : rows) energy += EnergyOf(row, info.kind);
        return Ok();
    };
    if (day_from < day_to) {
        MH_RETURN_IF_ERROR(add(kDay, day_from, day_to));
        MH_RETURN_IF_ERROR(add(kHour, from_ms, day_from));
        MH_RETURN_IF_ERROR(add(kHour, day_to, to_ms));
    } else {
        MH_RETURN_IF_ERROR(add(kHour, from_ms, to_ms));
    }
    return energy;
}

std::optional<Period> ParsePeriod(std::string_view text) {
    if (text == "hour") return Period::kPerHour;
    if (text == "day") return Period::kPerDay;
    if (text == "month") return Period::kPerMonth;
    if (text == "year") return Period::kPerYear;
    return std::nullopt;
}

Result<std::vector<PeriodEnergy>> EnergyPer(Engine& engine, const TenantScope& scope, SeriesId series, Period period,
                                            std::int64_t from_ms, std::int64_t to_ms) {
    MH_ASSIGN_OR_RETURN(auto info, engine.Info(scope, series));
    const TimeZone zone = ZoneOf(info);
    const std::int32_t resolution = period == Period::kPerHour ? kHour : kDay;
    MH_ASSIGN_OR_RETURN(auto rows, engine.ReadRollups(scope, series, resolution, from_ms, to_ms));
    std::map<std::int64_t, PeriodEnergy> groups;
    for (const auto& row : rows) {
        const Timestamp t = FromMillis(row.bucket_ms);
        Timestamp start = t;
        const char* format = "%F %H:%M";
        switch (period) {
            case Period::kPerHour: break;
            case Period::kPerDay: format = "%F"; break;
            case Period::kPerMonth:
                start = zone.StartOfMonth(t);
                format = "%Y-%m";
                break;
            case Period::kPerYear:
                start = zone.StartOfYear(t);
                format = "%Y";
                break;
        }
        auto [it, fresh] = groups.try_emplace(ToMillis(start));
        if (fresh) it->second = PeriodEnergy{ToMillis(start), zone.Format(start, format), 0};
        it->second.energy += EnergyOf(row, info.kind);
    }
    std::vector<PeriodEnergy> out;
    out.reserve(groups.size());
    for (auto& [start, value] : groups) out.push_back(std::move(value));
    return out;
}

Result<DayFigures> TodayFigures(Engine& engine, const TenantScope& scope, SeriesId series) {
    MH_ASSIGN_OR_RETURN(auto info, engine.Info(scope, series));
    const TimeZone zone = ZoneOf(info);
    const Timestamp now = engine.clock().Now();
    const std::int64_t day_start = ToMillis(zone.StartOfDay(now));
    const std::int64_t day_end = ToMillis(zone.StartOfNextDay(now));
    DayFigures figures;
    MH_ASSIGN_OR_RETURN(auto days, engine.ReadRollups(scope, series, kDay, day_start, day_end));
    for (const auto& row : days) figures.energy_today += EnergyOf(row, info.kind);
    // The peak from today's raw samples: exact in value and time, and a day of samples decodes in microseconds.
    const std::int64_t now_ms = ToMillis(now);
    MH_ASSIGN_OR_RETURN(auto today, engine.ReadRaw(scope, series, day_start, day_end - 1));
    for (const Sample& s : today) {
        if (!figures.peak_today || s.value > figures.peak_today->value) {
            figures.peak_today = Point{s.ts_ms, s.value, s.value, s.value, 1};
        }
    }
    MH_ASSIGN_OR_RETURN(auto hour, engine.ReadRaw(scope, series, now_ms - kHourMs, now_ms));
    if (!hour.empty()) {
        double sum = 0;
        for (const Sample& s : hour) sum += s.value;
        figures.last_hour_average = sum / static_cast<double>(hour.size());
    }
    MH_ASSIGN_OR_RETURN(figures.latest, engine.Latest(scope, series));
    return figures;
}

}  // namespace mh::tsdb
