#include "domain/inverter_figures.hpp"

#include <algorithm>
#include <map>

namespace mh::domain {
namespace {

constexpr std::int64_t kHourMs = 3'600'000;

// Folds points into buckets `width` wide counted from `from_ms`, adding into `sums` (bucket start -> W).
void AddInto(std::map<std::int64_t, tsdb::Point>& sums, const std::vector<tsdb::Point>& points, std::int64_t from_ms,
             std::int64_t width) {
    // Average per bucket first (one inverter), then sum across inverters.
    std::map<std::int64_t, tsdb::Point> mine;
    for (const auto& p : points) {
        const std::int64_t start = from_ms + (p.ts_ms - from_ms) / width * width;
        auto [it, fresh] = mine.try_emplace(start, tsdb::Point{start, 0, p.min, p.max, 0});
        tsdb::Point& b = it->second;
        b.value += p.value * static_cast<double>(p.count);
        b.count += p.count;
        b.min = std::min(b.min, p.min);
        b.max = std::max(b.max, p.max);
    }
    for (auto& [start, b] : mine) {
        b.value /= static_cast<double>(b.count);
        auto [it, fresh] = sums.try_emplace(start, b);
        if (fresh) continue;
        it->second.value += b.value;
        it->second.min += b.min;
        it->second.max += b.max;
        it->second.count += b.count;
    }
}

}  // namespace

const char* EnergySourceName(EnergySource source) {
    return source == EnergySource::kDevice ? "device" : "integrated";
}

std::optional<InverterFigures::Span> ParseSpan(std::string_view text) {
    if (text == "day") return InverterFigures::Span::kDay;
    if (text == "week") return InverterFigures::Span::kWeek;
    if (text == "month") return InverterFigures::Span::kMonth;
    if (text == "year") return InverterFigures::Span::kYear;
    return std::nullopt;
}

std::optional<std::int64_t> ParseRangeName(std::string_view text) {
    static constexpr std::pair<std::string_view, std::int64_t> kRanges[] = {
        {"1h", kHourMs},           {"6h", 6 * kHourMs},         {"24h", 24 * kHourMs},
        {"7d", 7 * 24 * kHourMs}, {"30d", 30 * 24 * kHourMs}, {"1y", 365 * 24 * kHourMs}};
    for (const auto& [name, ms] : kRanges) {
        if (name == text) return ms;
    }
    return std::nullopt;
}

std::optional<SeriesId> InverterFigures::Counter(const InverterSeries& inverter) const {
    return inverter.energy_today ? inverter.energy_today : inverter.energy_total;
}

Result<std::pair<double, EnergySource>> InverterFigures::EnergyBetween(const InverterSeries& inverter,
                                                                       std::int64_t from_ms, std::int64_t to_ms) const {
    if (auto counter = Counter(inverter)) {
        // Only when the counter has readings in the period: a device that stopped reporting its counter (or a
        // generic producer that never did) falls back to its power. The hourly rows that say so also hold the
        // counter's increase.
        MH_ASSIGN_OR_RETURN(auto rows, engine_.ReadRollups(scope_, *counter, tsdb::kHour, from_ms, to_ms));
        if (std::any_of(rows.begin(), rows.end(), [](const auto& r) { return r.count > 0; })) {
            double kwh = 0;
            for (const auto& row : rows) kwh += row.increase;
            return std::pair{kwh, EnergySource::kDevice};
        }
    }
    MH_ASSIGN_OR_RETURN(double wh, tsdb::EnergyBetween(engine_, scope_, *inverter.power, from_ms, to_ms));
    return std::pair{wh / 1000.0, EnergySource::kIntegrated};
}

Result<TodayFigures> InverterFigures::Today(const InverterSeries& inverter) const {
    const Timestamp now = engine_.clock().Now();
    const std::int64_t now_ms = ToMillis(now);
    const std::int64_t day_start = ToMillis(zone_.StartOfDay(now));
    TodayFigures f;
    MH_ASSIGN_OR_RETURN(auto today, engine_.ReadRaw(scope_, *inverter.power, day_start, now_ms));
    double hour_sum = 0;
    std::int64_t hour_count = 0;
    for (const tsdb::Sample& s : today) {
        if (!f.peak || s.value > f.peak->value) f.peak = tsdb::Point{s.ts_ms, s.value, s.value, s.value, 1};
        if (s.ts_ms > now_ms - kHourMs) {
            hour_sum += s.value;
            ++hour_count;
        }
    }
    if (day_start > now_ms - kHourMs) {  // the last hour reaches into yesterday
        MH_ASSIGN_OR_RETURN(auto before, engine_.ReadRaw(scope_, *inverter.power, now_ms - kHourMs + 1, day_start - 1));
        for (const tsdb::Sample& s : before) {
            hour_sum += s.value;
            ++hour_count;
        }
    }
    if (hour_count > 0) f.last_hour_average = hour_sum / static_cast<double>(hour_count);
    MH_ASSIGN_OR_RETURN(auto latest, engine_.Latest(scope_, *inverter.power));
    if (latest) {
        const std::int64_t age = std::max<std::int64_t>(0, now_ms - latest->ts_ms);
        f.current = CurrentPower{latest->value, latest->ts_ms, age / 1000, age <= options_.fresh_ms};
    }
    MH_ASSIGN_OR_RETURN(auto energy, EnergyBetween(inverter, day_start, now_ms + 1));
    std::tie(f.energy_kwh, f.energy_source) = energy;
    return f;
}

Result<TenantToday> InverterFigures::Today(std::span<const InverterSeries> inverters) const {
    TenantToday t;
    t.total.energy_source = EnergySource::kDevice;
    for (const auto& inverter : inverters) {
        MH_ASSIGN_OR_RETURN(auto f, Today(inverter));
        if (f.current && f.current->fresh) {
            if (!t.total.current) t.total.current = CurrentPower{0, f.current->ts_ms, 0, true};
            t.total.current->watts += f.current->watts;
            t.total.current->ts_ms = std::min(t.total.current->ts_ms, f.current->ts_ms);
            t.total.current->age_s = std::max(t.total.current->age_s, f.current->age_s);
        }
        t.total.energy_kwh += f.energy_kwh;
        if (f.energy_source == EnergySource::kIntegrated) t.total.energy_source = EnergySource::kIntegrated;
        if (f.peak) {
            if (!t.total.peak) t.total.peak = tsdb::Point{f.peak->ts_ms, 0, 0, 0, 0};
            t.total.peak->value += f.peak->value;
        }
        if (f.last_hour_average) t.total.last_hour_average = t.total.last_hour_average.value_or(0) + *f.last_hour_average;
        t.inverters.emplace_back(&inverter, std::move(f));
    }
    return t;
}

Result<tsdb::RangeResult> InverterFigures::Power(std::span<const InverterSeries> inverters, std::int64_t from_ms,
                                                 std::int64_t to_ms, std::size_t max_points) const {
    if (inverters.size() == 1) return tsdb::QueryRange(engine_, scope_, *inverters[0].power, from_ms, to_ms, max_points);
    // Several inverters: one bucket width for all, so that buckets line up and add.
    const std::int64_t span = to_ms - from_ms;
    const std::int64_t width = std::max<std::int64_t>(60'000, span / static_cast<std::int64_t>(max_points) + 1);
    std::map<std::int64_t, tsdb::Point> sums;
    std::string resolution = "raw";
    for (const auto& inverter : inverters) {
        MH_ASSIGN_OR_RETURN(auto range, tsdb::QueryRange(engine_, scope_, *inverter.power, from_ms, to_ms, max_points));
        resolution = range.resolution;
        AddInto(sums, range.points, from_ms, std::max(width, range.bucket_ms));
    }
    tsdb::RangeResult out;
    out.resolution = resolution;
    out.bucket_ms = width;
    out.points.reserve(sums.size());
    for (auto& [start, p] : sums) out.points.push_back(p);
    return out;
}

Result<InverterFigures::Bars> InverterFigures::Energy(std::span<const InverterSeries> inverters, Span span,
                                                      Timestamp day) const {
    Timestamp from = zone_.StartOfDay(day), to = zone_.StartOfNextDay(day);
    tsdb::Period period = tsdb::Period::kPerHour;
    switch (span) {
        case Span::kDay: break;
        case Span::kWeek: {
            const date::weekday weekday{zone_.LocalDay(day)};
            const auto monday = zone_.LocalDay(day) - (weekday - date::Monday);
            from = zone_.StartOf(monday);
            to = zone_.StartOf(monday + date::days{7});
            period = tsdb::Period::kPerDay;
            break;
        }
        case Span::kMonth:
            from = zone_.StartOfMonth(day);
            to = zone_.StartOfNextMonth(day);
            period = tsdb::Period::kPerDay;
            break;
        case Span::kYear:
            from = zone_.StartOfYear(day);
            to = zone_.StartOfNextYear(day);
            period = tsdb::Period::kPerMonth;
            break;
    }
    const std::int64_t from_ms = ToMillis(from), to_ms = ToMillis(to);
    Bars out;
    std::map<std::int64_t, tsdb::PeriodEnergy> sums;
    for (const auto& inverter : inverters) {
        std::optional<std::vector<tsdb::PeriodEnergy>> bars;
        if (auto counter = Counter(inverter)) {
            MH_ASSIGN_OR_RETURN(auto counted, tsdb::EnergyPer(engine_, scope_, *counter, period, from_ms, to_ms));
            if (!counted.empty()) bars = std::move(counted);
        }
        if (!bars) {
            MH_ASSIGN_OR_RETURN(auto integrated, tsdb::EnergyPer(engine_, scope_, *inverter.power, period, from_ms, to_ms));
            for (auto& b : integrated) b.energy /= 1000.0;  // Wh -> kWh
            bars = std::move(integrated);
            out.source = EnergySource::kIntegrated;
        }
        for (const auto& b : *bars) {
            auto [it, fresh] = sums.try_emplace(b.start_ms, b);
            if (!fresh) it->second.energy += b.energy;
        }
    }
    for (auto& [start, b] : sums) out.bars.push_back(std::move(b));
    return out;
}

}  // namespace mh::domain
