#include "tsdb/local_engine.hpp"
#include "tsdb/query.hpp"

#include <gtest/gtest.h>

#include "domain/access.hpp"
#include "store/sqlite/open.hpp"
#include "test_support.hpp"

namespace mh::tsdb {
namespace {

using domain::Access;
using store::SeriesKind;
using Batch = std::vector<SeriesSample>;

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHourMs = 3'600'000;

class QueryTest : public ::testing::Test {
  protected:
    void SetUp() override {
        store_ = *store::sqlite::Open(dir_.File("m.db"), clock_, ids_, {});
        tenant_ = *store_->tenants().CreateTenant({"home", "Europe/Berlin", 730});
        auto device = *store_->devices().CreateDevice(Scope(), {"inv", "generic", "", "", ""});
        power_ = store_->devices().EnsureSeries(Scope(), {device.id, "power", "W", SeriesKind::kGauge})->id;
        energy_ = store_->devices().EnsureSeries(Scope(), {device.id, "energy", "kWh", SeriesKind::kCounter})->id;
        EngineOptions options;
        options.log_dir = dir_.File("m.db-log");
        options.sync = false;
        options.checkpoint_interval_ms = 1'000'000'000;
        engine_ = *LocalEngine::Open(store_->chunks(), clock_, options);
    }

    TenantScope Scope() const { return Access::ForOperator(tenant_.id); }

    // One sample a minute of `watts` from `from` (inclusive) to `to` (exclusive).
    void Power(std::int64_t from, std::int64_t to, double watts) {
        Batch batch;
        for (std::int64_t t = from; t < to; t += kMinute) batch.push_back({power_, t, watts});
        ASSERT_TRUE(engine_->Write(Scope(), batch));
    }

    testing::TempDir dir_;
    FakeClock clock_{FromMillis(testing::UtcMs("2027-01-01T00:00:00Z"))};
    IdGenerator ids_{clock_, 1};
    std::unique_ptr<store::sql::SqlDatabase> store_;
    store::Tenant tenant_;
    SeriesId power_, energy_;
    std::unique_ptr<Engine> engine_;
};

TEST_F(QueryTest, RangeReturnsRawSamplesWhileTheyFit) {
    const std::int64_t t0 = testing::UtcMs("2026-06-01T10:00:00Z");
    Power(t0, t0 + 100 * kMinute, 500);
    auto range = *QueryRange(*engine_, Scope(), power_, t0, t0 + 100 * kMinute);
    EXPECT_EQ(range.resolution, "raw");
    EXPECT_EQ(range.points.size(), 100u);
}

TEST_F(QueryTest, RangeDownsamplesToThePointBudget) {
    const std::int64_t t0 = testing::UtcMs("2026-06-01T00:00:00Z");
    Power(t0, t0 + 10 * 24 * kHourMs, 1000);
    ASSERT_TRUE(engine_->Checkpoint());
    // 10 days at 1000 points: 14.4-minute buckets folded from the raw samples.
    auto days = *QueryRange(*engine_, Scope(), power_, t0, t0 + 10 * 24 * kHourMs, 1000);
    EXPECT_EQ(days.resolution, "raw");
    EXPECT_LE(days.points.size(), 1000u);
    EXPECT_GT(days.points.size(), 600u);
    std::int64_t count = 0;
    for (const auto& p : days.points) {
        count += p.count;
        EXPECT_DOUBLE_EQ(p.value, 1000);
    }
    EXPECT_EQ(count, 10 * 24 * 60);
    // Ten days at 100 points: 2.4-hour buckets from hourly rollups.
    auto hours = *QueryRange(*engine_, Scope(), power_, t0, t0 + 10 * 24 * kHourMs, 100);
    EXPECT_EQ(hours.resolution, "1h");
    EXPECT_LE(hours.points.size(), 100u);
    // One day at 50 points from raw data still under 5 minutes per point: raw samples bucketed.
    auto raw = *QueryRange(*engine_, Scope(), power_, t0, t0 + 3 * kHourMs, 50);
    EXPECT_EQ(raw.resolution, "raw");
    EXPECT_LE(raw.points.size(), 50u);
}

TEST_F(QueryTest, EnergyOfAConstantPowerOverThe23HourDstDay) {
    // 2026-03-29 in Berlin has 23 hours. 1 kW all day long is 23 kWh.
    const std::int64_t day = testing::UtcMs("2026-03-28T23:00:00Z");
    const std::int64_t next = testing::UtcMs("2026-03-29T22:00:00Z");
    Power(day - kHourMs, next + kHourMs, 1000);
    ASSERT_TRUE(engine_->Checkpoint());
    auto energy = *EnergyBetween(*engine_, Scope(), power_, day, next);
    EXPECT_NEAR(energy, 23'000, 1e-6);  // Wh
    auto per_day = *EnergyPer(*engine_, Scope(), power_, Period::kPerDay, day - 86'400'000, next + 86'400'000);
    ASSERT_GE(per_day.size(), 2u);
    bool found = false;
    for (const auto& d : per_day) {
        if (d.label == "2026-03-29") {
            found = true;
            EXPECT_NEAR(d.energy, 23'000, 1e-6);
        }
    }
    EXPECT_TRUE(found);
}

TEST_F(QueryTest, GapsAreCappedNotInvented) {
    // 1 kW for an hour, silence for five hours, 1 kW for an hour: the gap adds at most gap_cap (10 min).
    const std::int64_t t0 = testing::UtcMs("2026-06-01T08:00:00Z");
    Power(t0, t0 + kHourMs, 1000);
    Power(t0 + 6 * kHourMs, t0 + 7 * kHourMs, 1000);
    auto energy = *EnergyBetween(*engine_, Scope(), power_, testing::UtcMs("2026-05-31T22:00:00Z"),
                                 testing::UtcMs("2026-06-01T22:00:00Z"));
    EXPECT_NEAR(energy, 1000.0 * (59 + 10 + 59) / 60, 1e-6);
}

TEST_F(QueryTest, CounterEnergyPerDayAcrossAResetAndAGap) {
    Batch batch;
    const std::int64_t d1 = testing::UtcMs("2026-06-01T06:00:00Z");
    for (int i = 0; i <= 10; ++i) batch.push_back({energy_, d1 + i * kHourMs, i * 1.0});  // 10 kWh on day one
    const std::int64_t d2 = testing::UtcMs("2026-06-02T06:00:00Z");
    for (int i = 0; i <= 4; ++i) batch.push_back({energy_, d2 + i * kHourMs, i * 0.5});  // reset, then 2 kWh
    ASSERT_TRUE(engine_->Write(Scope(), batch));
    auto days = *EnergyPer(*engine_, Scope(), energy_, Period::kPerDay, testing::UtcMs("2026-05-31T22:00:00Z"),
                           testing::UtcMs("2026-06-02T22:00:00Z"));
    ASSERT_EQ(days.size(), 2u);
    EXPECT_EQ(days[0].label, "2026-06-01");
    EXPECT_DOUBLE_EQ(days[0].energy, 10);
    EXPECT_EQ(days[1].label, "2026-06-02");
    EXPECT_DOUBLE_EQ(days[1].energy, 2);
    ASSERT_TRUE(engine_->Checkpoint());
    auto month = *EnergyPer(*engine_, Scope(), energy_, Period::kPerMonth, testing::UtcMs("2026-05-31T22:00:00Z"),
                            testing::UtcMs("2026-06-30T22:00:00Z"));
    ASSERT_EQ(month.size(), 1u);
    EXPECT_EQ(month[0].label, "2026-06");
    EXPECT_DOUBLE_EQ(month[0].energy, 12);
}

TEST_F(QueryTest, TodaysFiguresInTheTenantsZone) {
    // 00:30 local on 2026-06-02 is 22:30 UTC on 2026-06-01: that sample belongs to "today".
    clock_.Set(FromMillis(testing::UtcMs("2026-06-02T10:00:00Z")));      // 12:00 in Berlin
    Batch batch{{power_, testing::UtcMs("2026-06-01T21:50:00Z"), 3000},  // 23:50 yesterday
                {power_, testing::UtcMs("2026-06-01T22:30:00Z"), 100},
                {power_, testing::UtcMs("2026-06-02T09:10:00Z"), 2500},
                {power_, testing::UtcMs("2026-06-02T09:20:00Z"), 1500},
                {power_, testing::UtcMs("2026-06-02T09:40:00Z"), 500}};
    ASSERT_TRUE(engine_->Write(Scope(), batch));
    auto f = *TodayFigures(*engine_, Scope(), power_);
    ASSERT_TRUE(f.peak_today);
    EXPECT_DOUBLE_EQ(f.peak_today->value, 2500);  // not yesterday's 3000
    ASSERT_TRUE(f.last_hour_average);
    EXPECT_DOUBLE_EQ(*f.last_hour_average, (2500 + 1500 + 500) / 3.0);
    ASSERT_TRUE(f.latest);
    EXPECT_DOUBLE_EQ(f.latest->value, 500);
    // An interval counts in the bucket where it ends, so today has: 23:50->00:30 and 00:30->11:10, both capped
    // at 10 minutes, then 11:10->11:20, then 11:20->11:40 capped at 10 minutes.
    const double expected =
        (3000 + 100) / 2.0 / 6 + (100 + 2500) / 2.0 / 6 + (2500 + 1500) / 2.0 / 6 + (1500 + 500) / 2.0 / 6;
    EXPECT_NEAR(f.energy_today, expected, 1e-9);
}

}  // namespace
}  // namespace mh::tsdb
