// The dashboard figures pinned on hand-made data in Europe/Berlin: device counters preferred, power integrated
// otherwise (with a capped gap), a counter reset, the 23-hour DST day, week/month/year bars and tenant sums.
#include "domain/inverter_figures.hpp"

#include <gtest/gtest.h>

#include "domain/access.hpp"
#include "store/sqlite/open.hpp"
#include "test_support.hpp"
#include "tsdb/local_engine.hpp"

namespace mh::domain {
namespace {

using store::SeriesKind;
using testing::UtcMs;

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 3'600'000;

class InverterFiguresTest : public ::testing::Test {
  protected:
    void SetUp() override {
        store_ = *store::sqlite::Open(dir_.File("m.db"), clock_, ids_, {});
        tenant_ = *store_->tenants().CreateTenant({"home", "Europe/Berlin", 730});
        tsdb::EngineOptions options;
        options.log_dir = dir_.File("m.db-log");
        options.sync = false;
        options.checkpoint_interval_ms = 1'000'000'000;
        options.gap_cap_ms = 600'000;
        engine_ = *tsdb::LocalEngine::Open(store_->chunks(), clock_, options);
    }

    TenantScope Scope() const { return Access::ForOperator(tenant_.id); }

    // An inverter with a power series, and optionally a daily energy counter.
    InverterSeries MakeInverter(const std::string& name, bool with_counter) {
        auto device = *store_->devices().CreateDevice(Scope(), {name, "generic", "", "", ""});
        EXPECT_TRUE(store_->devices().EnsureSeries(Scope(), {device.id, "power_ac", "W", SeriesKind::kGauge}));
        if (with_counter) {
            EXPECT_TRUE(store_->devices().EnsureSeries(Scope(), {device.id, "energy_today", "kWh", SeriesKind::kCounter}));
        }
        EXPECT_TRUE(store_->devices().EnsureSeries(Scope(), {device.id, "dc1.power", "W", SeriesKind::kGauge}));
        return *InverterOf(store_->repositories(), Scope(), device.id);
    }

    // One sample a minute of `watts` over [from, to).
    void Power(const InverterSeries& inv, std::int64_t from, std::int64_t to, double watts) {
        std::vector<tsdb::SeriesSample> batch;
        for (std::int64_t t = from; t < to; t += kMinute) batch.push_back({*inv.power, t, watts});
        ASSERT_TRUE(engine_->Write(Scope(), batch));
    }
    void Counter(const InverterSeries& inv, std::int64_t ts, double kwh) {
        const tsdb::SeriesSample s{*inv.energy_today, ts, kwh};
        ASSERT_TRUE(engine_->Write(Scope(), std::span(&s, 1)));
    }

    InverterFigures Figures() { return InverterFigures(*engine_, Scope(), *TimeZone::Find("Europe/Berlin")); }

    testing::TempDir dir_;
    FakeClock clock_{FromMillis(UtcMs("2026-06-21T12:00:00Z"))};  // 14:00 in Berlin (CEST)
    IdGenerator ids_{clock_, 1};
    std::unique_ptr<store::sql::SqlDatabase> store_;
    store::Tenant tenant_;
    std::unique_ptr<tsdb::Engine> engine_;
};

TEST_F(InverterFiguresTest, TodayPrefersTheDevicesOwnCounter) {
    auto inv = MakeInverter("Roof", true);
    // Yesterday's counter ended at 7.5 kWh; at night the device reports zeros, then counts again from 0.
    Counter(inv, UtcMs("2026-06-20T19:00:00Z"), 7.5);
    Counter(inv, UtcMs("2026-06-21T02:00:00Z"), 0);
    for (int h = 0; h <= 8; ++h) Counter(inv, UtcMs("2026-06-21T04:00:00Z") + h * kHour, 0.5 * h);  // up to 4 kWh
    Power(inv, UtcMs("2026-06-21T04:00:00Z"), UtcMs("2026-06-21T11:00:00Z"), 400);
    Power(inv, UtcMs("2026-06-21T11:00:00Z"), UtcMs("2026-06-21T11:58:00Z"), 600);

    auto f = *Figures().Today(inv);
    EXPECT_DOUBLE_EQ(f.energy_kwh, 4.0);
    EXPECT_EQ(f.energy_source, EnergySource::kDevice);
    ASSERT_TRUE(f.current);
    EXPECT_DOUBLE_EQ(f.current->watts, 600);
    EXPECT_EQ(f.current->age_s, 180);  // last sample 11:57Z, now 12:00Z
    EXPECT_TRUE(f.current->fresh);
    EXPECT_DOUBLE_EQ(f.peak->value, 600);
    EXPECT_EQ(f.peak->ts_ms, UtcMs("2026-06-21T11:00:00Z"));  // the first time it was reached
    // The last hour (11:00Z, 12:00Z]: 57 samples of 600 W.
    EXPECT_DOUBLE_EQ(*f.last_hour_average, 600);

    clock_.Advance(std::chrono::minutes(10));
    EXPECT_FALSE(Figures().Today(inv)->current->fresh);  // 13 minutes old
}

TEST_F(InverterFiguresTest, TodayIntegratesPowerWithAGapCapped) {
    auto inv = MakeInverter("Balcony", false);
    // 08:00-10:00 and 14:00-16:00 local at 1000 W, nothing in between: the gap adds at most 10 minutes.
    Power(inv, UtcMs("2026-06-21T06:00:00Z"), UtcMs("2026-06-21T08:00:00Z"), 1000);
    Power(inv, UtcMs("2026-06-21T10:00:00Z"), UtcMs("2026-06-21T12:00:00Z"), 1000);
    auto f = *Figures().Today(inv);
    EXPECT_EQ(f.energy_source, EnergySource::kIntegrated);
    EXPECT_NEAR(f.energy_kwh, (119 + 10 + 119) / 60.0, 1e-9);
}

TEST_F(InverterFiguresTest, ACounterResetLosesNothing) {
    auto inv = MakeInverter("Restarted", true);
    Power(inv, UtcMs("2026-06-21T06:00:00Z"), UtcMs("2026-06-21T07:00:00Z"), 100);
    Counter(inv, UtcMs("2026-06-21T05:00:00Z"), 0.0);
    Counter(inv, UtcMs("2026-06-21T08:00:00Z"), 3.0);
    Counter(inv, UtcMs("2026-06-21T08:05:00Z"), 0.0);  // the inverter restarted
    Counter(inv, UtcMs("2026-06-21T09:00:00Z"), 0.5);
    Counter(inv, UtcMs("2026-06-21T11:00:00Z"), 2.0);
    EXPECT_DOUBLE_EQ(Figures().Today(inv)->energy_kwh, 5.0);
}

TEST_F(InverterFiguresTest, TheDstDayHas23HourlyBars) {
    auto inv = MakeInverter("Roof", false);
    clock_.Set(FromMillis(UtcMs("2026-03-29T22:00:00Z")));  // midnight after the switch to CEST
    // 1000 W from local midnight (23:00Z the day before) to the end of the 23-hour day.
    Power(inv, UtcMs("2026-03-28T23:00:00Z"), UtcMs("2026-03-29T22:00:00Z") + kMinute, 1000);
    auto day = *Figures().Energy(std::span(&inv, 1), InverterFigures::Span::kDay,
                                 FromMillis(UtcMs("2026-03-29T12:00:00Z")));
    ASSERT_EQ(day.bars.size(), 23u);
    EXPECT_EQ(day.bars[1].label, "2026-03-29 01:00");
    EXPECT_EQ(day.bars[2].label, "2026-03-29 03:00");  // 02:00 never happened
    double total = 0;
    for (const auto& b : day.bars) total += b.energy;
    EXPECT_NEAR(total, 23.0 - 1.0 / 60, 1e-9);  // 23 h minus the first minute (no interval before it)
    EXPECT_EQ(day.source, EnergySource::kIntegrated);

    auto week = *Figures().Energy(std::span(&inv, 1), InverterFigures::Span::kWeek,
                                  FromMillis(UtcMs("2026-03-29T12:00:00Z")));
    ASSERT_EQ(week.bars.size(), 1u);  // Monday the 23rd to Sunday the 29th: only Sunday has data
    EXPECT_EQ(week.bars[0].label, "2026-03-29");
    EXPECT_NEAR(week.bars[0].energy, total, 1e-9);
    auto year = *Figures().Energy(std::span(&inv, 1), InverterFigures::Span::kYear,
                                  FromMillis(UtcMs("2026-03-29T12:00:00Z")));
    ASSERT_EQ(year.bars.size(), 1u);  // all in March, the minute of Monday the 30th too
    EXPECT_EQ(year.bars[0].label, "2026-03");
    EXPECT_NEAR(year.bars[0].energy, 23.0, 1e-9);  // with the interval that ends at Monday 00:00
}

TEST_F(InverterFiguresTest, TenantFiguresAreSums) {
    auto a = MakeInverter("A", false);
    auto b = MakeInverter("B", true);
    Power(a, UtcMs("2026-06-21T10:00:00Z"), UtcMs("2026-06-21T12:00:00Z"), 1000);
    Power(b, UtcMs("2026-06-21T10:00:00Z"), UtcMs("2026-06-21T12:00:00Z"), 500);
    Counter(b, UtcMs("2026-06-21T10:00:00Z"), 0.0);
    Counter(b, UtcMs("2026-06-21T11:59:00Z"), 1.0);
    std::vector<InverterSeries> both{a, b};
    auto t = *Figures().Today(both);
    EXPECT_DOUBLE_EQ(t.total.current->watts, 1500);
    EXPECT_NEAR(t.total.energy_kwh, 119 / 60.0 + 1.0, 1e-9);
    EXPECT_EQ(t.total.energy_source, EnergySource::kIntegrated);  // A has no counter
    EXPECT_DOUBLE_EQ(t.total.peak->value, 1500);

    auto curve = *Figures().Power(both, UtcMs("2026-06-21T10:00:00Z"), UtcMs("2026-06-21T12:00:00Z"), 1000);
    EXPECT_EQ(curve.bucket_ms, kMinute);
    ASSERT_EQ(curve.points.size(), 120u);
    for (const auto& p : curve.points) EXPECT_DOUBLE_EQ(p.value, 1500);
}

TEST_F(InverterFiguresTest, InvertersAreDevicesWithPower) {
    MakeInverter("Roof", true);
    auto meter = *store_->devices().CreateDevice(Scope(), {"Meter", "generic", "", "", ""});
    EXPECT_TRUE(store_->devices().EnsureSeries(Scope(), {meter.id, "energy_import", "kWh", SeriesKind::kCounter}));
    auto list = *ListInverters(store_->repositories(), Scope());
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].device.name, "Roof");
    ASSERT_EQ(list[0].channels.size(), 1u);
    EXPECT_EQ(list[0].channels[0].channel, 1);
    EXPECT_EQ(InverterOf(store_->repositories(), Scope(), meter.id).error().code, Errc::kFailedPrecondition);
    EXPECT_EQ(*ParseRangeName("7d"), 7 * 24 * kHour);
    EXPECT_FALSE(ParseRangeName("2w"));
}

}  // namespace
}  // namespace mh::domain
