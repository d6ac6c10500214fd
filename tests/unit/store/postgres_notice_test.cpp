// The journal's notices to other instances (sample_notice.hpp) and the Listener that receives them, on the run's
// real PostgreSQL: what is encoded decodes to the newest sample of each series, split under the size limit, bad
// payloads are refused with a reason, and a listener whose connection is killed opens it again and hears on.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "postgres_server.hpp"
#include "store/postgres/change_notice.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/listener.hpp"
#include "store/postgres/sample_notice.hpp"
#include "test_support.hpp"

namespace mh::store::postgres {
namespace {

TEST(SampleNoticeTest, CarriesTheNewestSampleOfEachSeriesPerTenant) {
    const std::vector<JournalRow> rows = {{SeriesId(11), TenantId(1), 2000, 1.5},
                                          {SeriesId(11), TenantId(1), 1000, 9.0},
                                          {SeriesId(12), TenantId(1), 1000, -0.1},
                                          {SeriesId(21), TenantId(2), 5000, 1e300}};
    auto notices = EncodeSampleNotices("host_1-a", rows);
    ASSERT_EQ(notices.size(), 2u);  // one per tenant
    auto first = DecodeSampleNotice(notices[0]);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->origin, "host_1-a");
    EXPECT_EQ(first->tenant, TenantId(1));
    ASSERT_EQ(first->rows.size(), 2u);
    EXPECT_EQ(first->rows[0].series, SeriesId(11));
    EXPECT_EQ(first->rows[0].ts_ms, 2000);
    EXPECT_EQ(first->rows[0].value, 1.5);
    EXPECT_EQ(first->rows[1].value, -0.1);  // exactly: the shortest form that round-trips
    auto second = DecodeSampleNotice(notices[1]);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->rows.at(0).value, 1e300);
}

TEST(SampleNoticeTest, ManySeriesAreSplitUnderTheLimit) {
    std::vector<JournalRow> rows;
    for (int i = 1; i <= 2000; ++i) rows.push_back({SeriesId(i), TenantId(7), 1'790'000'000'000, i * 0.37});
    auto notices = EncodeSampleNotices("o", rows);
    EXPECT_GT(notices.size(), 1u);
    std::size_t seen = 0;
    for (const auto& notice : notices) {
        EXPECT_LE(notice.size(), kMaxNoticeBytes);
        auto decoded = DecodeSampleNotice(notice);
        ASSERT_TRUE(decoded) << decoded.error().message;
        seen += decoded->rows.size();
    }
    EXPECT_EQ(seen, rows.size());
}

TEST(SampleNoticeTest, AnythingElseIsRefusedWithAReason) {
    for (const char* bad : {"", "mh2 o 1\n", "mh1  1\n", "mh1 o x\n", "mh1 o 0\n", "mh1 o 1\n5 10\n",
                            "mh1 o 1\n5 10 nan\n", "mh1 o 1\n-5 10 1\n", "mh1 o 1\n5 1x 1\n", "mh1 o 1\n5 10 1 2\n"}) {
        auto decoded = DecodeSampleNotice(bad);
        ASSERT_FALSE(decoded) << bad;
        EXPECT_EQ(decoded.error().code, Errc::kInvalidArgument);
        EXPECT_NE(decoded.error().message.find("sample notice"), std::string::npos);
    }
}

TEST(ChangeNoticeTest, DeviceChangesAndKeyChangesRoundTripWithAnyText) {
    const ChangeNotice device{
        "host_9", ChangeNotice::What::kDeviceUpdated, TenantId(3), DeviceId(44), "solarman", "SN 1%-x\n2", "-"};
    const std::string encoded = EncodeChangeNotice(device);
    EXPECT_EQ(encoded.find('\n'), std::string::npos);
    auto decoded = DecodeChangeNotice(encoded);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(decoded->origin, "host_9");
    EXPECT_EQ(decoded->what, ChangeNotice::What::kDeviceUpdated);
    EXPECT_EQ(decoded->tenant, TenantId(3));
    EXPECT_EQ(decoded->device, DeviceId(44));
    EXPECT_EQ(decoded->serial, "SN 1%-x\n2");
    EXPECT_EQ(decoded->old_serial, "-");
    auto cleared = DecodeChangeNotice(
        EncodeChangeNotice({"o", ChangeNotice::What::kDeviceDeleted, TenantId(1), DeviceId(2), "generic", "", ""}));
    ASSERT_TRUE(cleared);
    EXPECT_EQ(cleared->serial, "");
    auto keys = DecodeChangeNotice(EncodeChangeNotice({"o"}));
    ASSERT_TRUE(keys);
    EXPECT_EQ(keys->what, ChangeNotice::What::kApiKeys);
    for (const char* bad : {"", "mh1 o", "mh1 o api_keys extra", "mh1 o device made 1 2 s a b",
                            "mh1 o device created 0 2 s a b", "mh1 o device created 1 2 s %zz b", "mh9 o api_keys"}) {
        EXPECT_FALSE(DecodeChangeNotice(bad)) << bad;
    }
}

TEST(ListenerTest, HearsNotificationsAndReconnectsAfterItsConnectionIsKilled) {
    auto url = testing::PostgresServer::Instance().CreateDatabase();
    ASSERT_TRUE(url) << url.error().message;
    std::mutex mutex;
    std::vector<std::string> heard;
    auto listener = Listener::Start(*url, {"mh_test"}, [&](std::string_view channel, std::string_view payload) {
        std::lock_guard lock(mutex);
        heard.push_back(std::string(channel) + ":" + std::string(payload));
    });
    ASSERT_TRUE(listener) << listener.error().message;
    auto sender = *Connection::Open(*url, false);
    auto heard_count = [&] {
        std::lock_guard lock(mutex);
        return heard.size();
    };
    ASSERT_TRUE(sender->Exec("NOTIFY mh_test, 'one'"));
    ASSERT_TRUE(testing::WaitFor([&] { return heard_count() == 1; }));
    // Its connection dies (a server restart, a failover): it comes back by itself and hears what comes next.
    ASSERT_TRUE(
        sender->Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                     "current_database() AND pid <> pg_backend_pid()"));
    ASSERT_TRUE(testing::WaitFor([&] {
        (void)sender->Exec("NOTIFY mh_test, 'two'");
        return heard_count() >= 2;
    }));
    EXPECT_GE((*listener)->reconnects(), 1);
    std::lock_guard lock(mutex);
    EXPECT_EQ(heard[0], "mh_test:one");
    EXPECT_EQ(heard[1], "mh_test:two");
}

}  // namespace
}  // namespace mh::store::postgres
