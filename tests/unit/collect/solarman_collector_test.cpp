// The collector in process, with a fake clock: a logger on a real loopback socket pushes a day and a half of
// frames whose daily counter never resets at midnight, reads zero at night and drops at wake-up; the daily
// energy must still come out right. Also: unclaimed loggers are acknowledged without storing anything, and
// frames handled on the connection's strand hand what needs the database to a worker without losing or counting
// anything twice.
#include "collect/solarman_collector.hpp"

#include <gtest/gtest.h>

#include "core/thread_executor.hpp"
#include "domain/access.hpp"
#include "ingest/solarman/frame.hpp"
#include "net/stream_server.hpp"
#include "sim/solarman_pusher.hpp"
#include "store/sqlite/open.hpp"
#include "test_support.hpp"
#include "tsdb/local_engine.hpp"
#include "tsdb/query.hpp"
#include "unit/net/test_client.hpp"

namespace mh::collect {
namespace {

namespace solarman = ingest::solarman;
using domain::Access;
using net::testing::TestConnection;

constexpr std::uint32_t kSerial = 4'100'000'123;
constexpr std::int64_t kHourMs = 3'600'000;

class CollectorTest : public ::testing::Test {
  protected:
    void SetUp() override {
        store_ = *store::sqlite::Open(dir_.File("m.db"), clock_, ids_, {});
        tenant_ = *store_->tenants().CreateTenant({"home", "UTC", 730});
        tsdb::EngineOptions options;
        options.log_dir = dir_.File("m.db-log");
        options.sync = false;
        options.checkpoint_interval_ms = 1'000'000'000;
        engine_ = *tsdb::LocalEngine::Open(store_->chunks(), clock_, options);
        maps_ = *FieldMapCatalog::Load("");
        collector_ = std::make_unique<SolarmanCollector>(store_->repositories(), *engine_, clock_, maps_, workers_);
        net::StreamOptions listen;
        listen.address = "127.0.0.1";
        server_ = std::move(*net::StreamServer::Start(listen, *collector_));
        frames_ = std::make_unique<sim::LoggerFrames>(
            *sim::LoggerFrames::Create({kSerial, "INV123", sim::PushLayout::kDeyeMicro, clock_.Now()}));
        logger_ = std::make_unique<TestConnection>(server_->port());
    }
    void TearDown() override {
        server_->Stop();
        collector_.reset();
    }

    TenantScope Scope() const { return Access::ForOperator(tenant_.id); }

    // Sends one frame and waits for its acknowledgement.
    void Exchange(const solarman::Frame& frame) {
        const auto bytes = solarman::EncodeFrame(frame);
        ASSERT_TRUE(logger_->Send(std::string(bytes.begin(), bytes.end())));
        auto reply = logger_->ReadBytes(23);
        ASSERT_TRUE(reply) << "no acknowledgement";
        auto decoded = solarman::DecodeFrame(std::vector<std::uint8_t>(reply->begin(), reply->end()));
        ASSERT_TRUE(decoded);
        frames_->Acknowledged(*decoded);
    }

    // A real-time data frame at the fake clock's time.
    void Push(double power_w, double today_kwh, double total_kwh) {
        sim::InverterReading reading;
        reading.power_ac_w = power_w;
        reading.energy_today_kwh = today_kwh;
        reading.energy_total_kwh = total_kwh;
        Exchange(*frames_->Data(reading, clock_.Now()));
    }

    SeriesId Series(const std::string& metric) {
        auto device = *store_->devices().FindDeviceBySource("solarman", std::to_string(kSerial));
        const auto series = *store_->devices().ListSeries(Scope(), device.id);
        for (const auto& s : series) {
            if (s.metric == metric) return s.id;
        }
        ADD_FAILURE() << "no series " << metric;
        return SeriesId{};
    }

    testing::TempDir dir_;
    FakeClock clock_{FromMillis(testing::UtcMs("2027-06-01T04:00:00Z"))};
    IdGenerator ids_{clock_, 1};
    std::unique_ptr<store::sql::SqlDatabase> store_;
    store::Tenant tenant_;
    std::unique_ptr<tsdb::Engine> engine_;
    FieldMapCatalog maps_;
    ThreadExecutor workers_{2, "collector"};  // the Runtime's pool in serve
    std::unique_ptr<SolarmanCollector> collector_;
    std::unique_ptr<net::StreamServer> server_;
    std::unique_ptr<sim::LoggerFrames> frames_;
    std::unique_ptr<TestConnection> logger_;
};

TEST_F(CollectorTest, DailyEnergyIsRightWhenTheLoggerNeverResetsItsCounter) {
    ASSERT_TRUE(store_->devices().CreateDevice(Scope(), {"Balcony", "solarman", std::to_string(kSerial), "", ""}));
    // Day 1: 4 kWh over the day, then the night: the inverter is off and the logger reports zeros.
    Push(0, 0, 1000);  // 04:00, waking up
    const double today[] = {0.5, 1.5, 3.0, 4.0};
    for (double kwh : today) {
        clock_.Advance(std::chrono::hours(2));
        Push(300, kwh, 1000 + kwh);
    }
    clock_.Advance(std::chrono::hours(8));  // 20:00 and 02:00: the logger reports zeros at night
    Push(0, 0, 0);
    clock_.Advance(std::chrono::hours(6));
    Push(0, 0, 0);
    // Day 2 wake-up: the daily counter was never reset, so it first shows yesterday's 4.0, then drops to the
    // real morning value once the inverter's clock is set.
    clock_.Advance(std::chrono::hours(4));  // 06:00
    Push(50, 4.0, 1004.0);
    clock_.Advance(std::chrono::hours(1));
    Push(100, 0.2, 1004.2);
    clock_.Advance(std::chrono::hours(2));
    Push(400, 1.2, 1005.2);

    const auto day1 = testing::UtcMs("2027-06-01T00:00:00Z");
    const auto day2 = testing::UtcMs("2027-06-02T00:00:00Z");
    auto first = tsdb::EnergyBetween(*engine_, Scope(), Series("energy_today"), day1, day2);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_NEAR(*first, 4.0, 1e-6);
    auto second = tsdb::EnergyBetween(*engine_, Scope(), Series("energy_today"), day2, day2 + 24 * kHourMs);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_NEAR(*second, 1.2, 1e-6) << "the stale 4.0 at wake-up and the drop to 0.2 must count as a reset";
    auto lifetime = tsdb::EnergyBetween(*engine_, Scope(), Series("energy_total"), day2, day2 + 24 * kHourMs);
    ASSERT_TRUE(lifetime);
    EXPECT_NEAR(*lifetime, 1.2, 1e-6) << "total energy zeros at night are no readings, not a reset";
    EXPECT_GT(collector_->stats().samples, 0u);
}

TEST_F(CollectorTest, UnclaimedLoggersAreAcknowledgedAndNothingIsStored) {
    Exchange(frames_->Hello(clock_.Now()));
    Push(300, 1.0, 1001);
    Push(300, 1.1, 1001.1);
    const auto stats = collector_->stats();
    EXPECT_EQ(stats.replies, 3u);
    EXPECT_EQ(stats.unclaimed_frames, 3u);
    EXPECT_EQ(stats.samples, 0u);
    auto waiting = *store_->devices().ListUnclaimed();
    ASSERT_EQ(waiting.size(), 1u);
    EXPECT_EQ(waiting[0].serial, std::to_string(kSerial));
    EXPECT_NE(waiting[0].details.find("MW3_16U_5406"), std::string::npos) << waiting[0].details;
}

TEST_F(CollectorTest, AFrameThatNeedsANewSeriesIsPassedOnAndStoredOnce) {
    ASSERT_TRUE(store_->devices().CreateDevice(Scope(), {"Balcony", "solarman", std::to_string(kSerial), "", ""}));
    // The first frame (a worker: the device is looked up, its series made) has no total energy: a raw 0 is
    // no reading. The next frames come from a known logger and are handled on the strand, until one carries a
    // total energy whose series does not exist yet: that one goes to a worker, which makes the series.
    Push(0, 0, 0);
    clock_.Advance(std::chrono::seconds(5));  // within the directory's refresh time
    Push(100, 0.1, 0);
    clock_.Advance(std::chrono::seconds(5));  // within the directory's refresh time
    Push(200, 0.2, 1000.2);
    clock_.Advance(std::chrono::seconds(5));  // within the directory's refresh time
    Push(300, 0.3, 1000.3);

    const auto stats = collector_->stats();
    EXPECT_EQ(stats.frames, 4u);
    EXPECT_EQ(stats.data_frames, 4u);
    EXPECT_EQ(stats.replies, 4u);
    EXPECT_EQ(stats.undecodable, 0u);
    auto total = engine_->ReadRaw(Scope(), Series("energy_total"), 0, ToMillis(clock_.Now()) + 1);
    ASSERT_TRUE(total) << total.error().message;
    ASSERT_EQ(total->size(), 2u);
    EXPECT_NEAR((*total)[0].value, 1000.2, 1e-9);
    EXPECT_NEAR((*total)[1].value, 1000.3, 1e-9);
    auto power = engine_->ReadRaw(Scope(), Series("power_ac"), 0, ToMillis(clock_.Now()) + 1);
    ASSERT_TRUE(power) << power.error().message;
    ASSERT_EQ(power->size(), 4u);
    EXPECT_NEAR((*power)[3].value, 300, 1e-9);
    // Every sample stored once: the per-frame counts add up to what the engine holds for the device.
    const auto device = *store_->devices().FindDeviceBySource("solarman", std::to_string(kSerial));
    std::uint64_t stored = 0;
    for (const auto& series : *store_->devices().ListSeries(Scope(), device.id)) {
        stored += engine_->ReadRaw(Scope(), series.id, 0, ToMillis(clock_.Now()) + 1)->size();
    }
    EXPECT_EQ(stats.samples, stored);
}

}  // namespace
}  // namespace mh::collect
