// The figures of an inverter dashboard and of a tenant's home page (SPEC D6), all in the tenant's time zone and
// DST-correct: current power with its age, today's energy, today's peak, the last hour's average, power curves
// with at most ~1000 points, energy per hour / day / month, and per-MPPT channels. A tenant's figures are the
// sums of its inverters'.
//
// Energy prefers what the device counts itself (its daily counter, else its lifetime counter: the increase over
// the period through tsdb's counter logic, so resets, zeros at night and never-reset daily counters are
// harmless) and falls back to integrating AC power, with gaps capped by the engine (tsdb.gap_cap_s).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/time_zone.hpp"
#include "domain/inverter_series.hpp"
#include "tsdb/query.hpp"

namespace mh::domain {

struct FigureOptions {
    std::int64_t fresh_ms = 300'000;  // a last sample older than this is not "current"
};

struct CurrentPower {
    double watts = 0;
    std::int64_t ts_ms = 0;
    std::int64_t age_s = 0;
    bool fresh = false;
};

enum class EnergySource { kDevice, kIntegrated };
const char* EnergySourceName(EnergySource source);

struct TodayFigures {
    std::optional<CurrentPower> current;
    double energy_kwh = 0;
    EnergySource energy_source = EnergySource::kIntegrated;
    std::optional<tsdb::Point> peak;          // today's highest AC power sample
    std::optional<double> last_hour_average;  // W
};

// Sums over inverters: current power of the fresh ones, today's energy, peaks and averages (as the
// predecessor's summary did).
struct TenantToday {
    std::vector<std::pair<const InverterSeries*, TodayFigures>> inverters;
    TodayFigures total;
};

class InverterFigures {
  public:
    InverterFigures(tsdb::Engine& engine, TenantScope scope, TimeZone zone, FigureOptions options = {})
        : engine_(engine), scope_(std::move(scope)), zone_(std::move(zone)), options_(options) {}

    Result<TodayFigures> Today(const InverterSeries& inverter) const;
    Result<TenantToday> Today(std::span<const InverterSeries> inverters) const;

    // AC power over [from, to] in buckets of one width for all inverters (summed), at most `max_points`.
    Result<tsdb::RangeResult> Power(std::span<const InverterSeries> inverters, std::int64_t from_ms, std::int64_t to_ms,
                                    std::size_t max_points = tsdb::kDefaultMaxPoints) const;

    // Energy (kWh) per local hour of `day`'s date, per day of its week (from Monday) or month, or per month of
    // its year. Summed over inverters; the source is the device counter only when every inverter had one.
    enum class Span { kDay, kWeek, kMonth, kYear };
    struct Bars {
        std::vector<tsdb::PeriodEnergy> bars;
        EnergySource source = EnergySource::kDevice;
    };
    Result<Bars> Energy(std::span<const InverterSeries> inverters, Span span, Timestamp day) const;

    // Energy (kWh) over [from, to): the device counter when it has readings then, else integrated power.
    Result<std::pair<double, EnergySource>> EnergyBetween(const InverterSeries& inverter, std::int64_t from_ms,
                                                          std::int64_t to_ms) const;

    const TimeZone& zone() const { return zone_; }

  private:
    std::optional<SeriesId> Counter(const InverterSeries& inverter) const;

    tsdb::Engine& engine_;
    const TenantScope scope_;
    TimeZone zone_;
    FigureOptions options_;
};

std::optional<InverterFigures::Span> ParseSpan(std::string_view text);

// "1h", "6h", "24h", "7d", "30d", "1y" as milliseconds; nullopt for anything else.
std::optional<std::int64_t> ParseRangeName(std::string_view text);

}  // namespace mh::domain
