// The collector in process, with a fake clock: a logger on a real loopback socket pushes a day and a half of
// frames whose daily counter never resets at midnight, reads zero at night and drops at wake-up; the daily
// energy must still come out right. Also: unclaimed loggers are acknowledged without storing anything.
#include "collect/solarman_collector.hpp"

#include <gtest/gtest.h>

#include "domain/access.hpp"
#include "ingest/solarman/frame.hpp"
#include "net/stream_server.hpp"
#include "sim/solarman_pusher.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "test_support.hpp"
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
        store_ = *store::sqlite::SqliteStore::Open(dir_.File("m.db"), clock_, ids_, {});
        tenant_ = *store_->CreateTenant({"home", "UTC", 730});
        tsdb::EngineOptions options;
        options.log_dir = dir_.File("m.db-log");
        options.sync = false;
        options.checkpoint_interval_ms = 1'000'000'000;
        engine_ = *tsdb::Engine::Open(*store_, clock_, options);
        maps_ = *FieldMapCatalog::Load("");
        collector_ = std::make_unique<SolarmanCollector>(*store_, *engine_, clock_, maps_);
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
        auto device = *store_->FindDeviceBySource("solarman", std::to_string(kSerial));
        const auto series = *store_->ListSeries(Scope(), device.id);
        for (const auto& s : series) {
            if (s.metric == metric) return s.id;
        }
        ADD_FAILURE() << "no series " << metric;
        return SeriesId{};
    }

    testing::TempDir dir_;
    FakeClock clock_{FromMillis(testing::UtcMs("2027-06-01T04:00:00Z"))};
    IdGenerator ids_{clock_, 1};
    std::unique_ptr<store::sqlite::SqliteStore> store_;
    store::Tenant tenant_;
    std::unique_ptr<tsdb::Engine> engine_;
    FieldMapCatalog maps_;
    std::unique_ptr<SolarmanCollector> collector_;
    std::unique_ptr<net::StreamServer> server_;
    std::unique_ptr<sim::LoggerFrames> frames_;
    std::unique_ptr<TestConnection> logger_;
};

TEST_F(CollectorTest, DailyEnergyIsRightWhenTheLoggerNeverResetsItsCounter) {
    ASSERT_TRUE(store_->CreateDevice(Scope(), {"Balcony", "solarman", std::to_string(kSerial), "", ""}));
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
    auto waiting = *store_->ListUnclaimed();
    ASSERT_EQ(waiting.size(), 1u);
    EXPECT_EQ(waiting[0].serial, std::to_string(kSerial));
    EXPECT_NE(waiting[0].details.find("MW3_16U_5406"), std::string::npos) << waiting[0].details;
}

}  // namespace
}  // namespace mh::collect
