// What the API lets the server run on its I/O threads (Api::RunsInline), and the caches that make that possible:
// device API keys and series names, each answered from memory for a while after one database read.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>

#include "api/api.hpp"
#include "api/api_key_cache.hpp"
#include "api/series_name_cache.hpp"
#include "domain/access.hpp"
#include "domain/api_keys.hpp"
#include "domain/devices.hpp"
#include "store/sqlite/open.hpp"
#include "test_support.hpp"
#include "tsdb/local_engine.hpp"

namespace mh::api {
namespace {

using namespace std::chrono_literals;
using domain::Access;

constexpr std::int64_t kT0 = 1'790'000'000'000;

class ApiCachesTest : public ::testing::Test {
  protected:
    void SetUp() override {
        store_ = *store::sqlite::Open(dir_.File("m.db"), clock_, ids_, {});
        tenant_ = store_->tenants().CreateTenant({"home", "UTC", 730})->id;
        other_ = store_->tenants().CreateTenant({"other", "UTC", 730})->id;
        device_ = store_->devices().CreateDevice(Scope(), {"inv", "generic", "", "", ""})->id;
        power_ = store_->devices().EnsureSeries(Scope(), {device_, "power", "W", store::SeriesKind::kGauge})->id;
    }
    TenantScope Scope() const { return Access::ForOperator(tenant_); }

    // A device API key of the tenant; returns the key as a device would present it.
    std::string NewKey() {
        auto key = domain::GenerateApiKey();
        EXPECT_TRUE(store_->auth().CreateApiKey(Scope(), "test", key.prefix, key.secret_hash));
        return key.plaintext;
    }

    testing::TempDir dir_;
    FakeClock clock_{FromMillis(kT0)};
    IdGenerator ids_{clock_, 1};
    std::unique_ptr<store::sql::SqlDatabase> store_;
    TenantId tenant_, other_;
    DeviceId device_;
    SeriesId power_;
};

TEST_F(ApiCachesTest, ApiKeyCacheHoldsAKeyForItsLifetimeAfterOneRead) {
    ApiKeyCache cache(store_->auth(), clock_, 5s);
    const auto prefix = *domain::ApiKeyPrefix(NewKey());
    EXPECT_FALSE(cache.Holds(prefix));
    ASSERT_TRUE(cache.Find(prefix));
    EXPECT_TRUE(cache.Holds(prefix));
    clock_.Advance(4s);
    EXPECT_TRUE(cache.Holds(prefix));
    clock_.Advance(1s);
    EXPECT_FALSE(cache.Holds(prefix));
    ASSERT_TRUE(cache.Find(prefix));
    EXPECT_TRUE(cache.Holds(prefix));
    cache.Clear();
    EXPECT_FALSE(cache.Holds(prefix));
    EXPECT_FALSE(cache.Holds("mhk_unknown1"));
}

TEST_F(ApiCachesTest, SeriesNamesAreReadOncePerDeviceAndLifetime) {
    SeriesNameCache cache(store_->devices(), clock_, 5s);
    auto found = cache.Find(Scope(), device_, "power");
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(*found, power_);

    // A series created since the read is found at once: a name the cached list lacks is read again.
    const auto voltage = store_->devices().EnsureSeries(Scope(), {device_, "voltage", "V", store::SeriesKind::kGauge})->id;
    auto fresh = cache.Find(Scope(), device_, "voltage");
    ASSERT_TRUE(fresh) << fresh.error().message;
    EXPECT_EQ(*fresh, voltage);

    // Within the lifetime the cached answer stands even when the device is gone; after it, the store decides.
    ASSERT_TRUE(store_->devices().DeleteDevice(Scope(), device_));
    EXPECT_TRUE(cache.Find(Scope(), device_, "power"));
    clock_.Advance(5s);
    auto gone = cache.Find(Scope(), device_, "power");
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, Errc::kNotFound);
}

TEST_F(ApiCachesTest, SeriesNamesUnknownOrOfAnotherTenantAreNotFound) {
    SeriesNameCache cache(store_->devices(), clock_, 5s);
    auto unknown = cache.Find(Scope(), device_, "nope");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, Errc::kNotFound);
    EXPECT_NE(unknown.error().message.find("'nope'"), std::string::npos);

    ASSERT_TRUE(cache.Find(Scope(), device_, "power"));                         // cached for the owner ...
    auto stranger = cache.Find(Access::ForOperator(other_), device_, "power");  // ... not for anyone else
    ASSERT_FALSE(stranger);
    EXPECT_EQ(stranger.error().code, Errc::kNotFound);
    EXPECT_EQ(*cache.Find(Scope(), device_, "power"), power_);
}

TEST_F(ApiCachesTest, WritesToADeletedDevicesSeriesAreRefused) {
    tsdb::EngineOptions options;
    options.log_dir = dir_.File("m.db-log");
    options.sync = false;
    auto engine = std::move(*tsdb::LocalEngine::Open(store_->chunks(), clock_, options));
    const std::vector<tsdb::SeriesSample> one{{power_, kT0, 1.0}};
    ASSERT_TRUE(engine->Write(Scope(), one));  // the engine now has the series' facts in memory
    domain::Devices devices(store_->devices(), engine.get());
    std::vector<domain::DeviceChange> heard;
    devices.AddListener([&](const domain::DeviceChange& change) { heard.push_back(change); });
    ASSERT_TRUE(devices.Delete(Scope(), device_));
    ASSERT_EQ(heard.size(), 1u);
    EXPECT_EQ(heard[0].kind, domain::DeviceChange::Kind::kDeleted);
    EXPECT_EQ(heard[0].device, device_);
    const std::vector<tsdb::SeriesSample> later{{power_, kT0 + 1000, 2.0}};
    auto refused = engine->Write(Scope(), later);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::kNotFound);
    auto again = devices.Delete(Scope(), device_);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::kNotFound);
}

class ApiInlineTest : public ApiCachesTest {
  protected:
    void SetUp() override {
        ApiCachesTest::SetUp();
        tsdb::EngineOptions options;
        options.log_dir = dir_.File("m.db-log");
        options.sync = false;
        engine_ = std::move(*tsdb::LocalEngine::Open(store_->chunks(), clock_, options));
        devices_ = std::make_unique<domain::Devices>(store_->devices(), engine_.get());
        api_ = std::make_unique<Api>(
            store_->repositories(), *engine_, *devices_, clock_, jwt_,
            [](const std::string&, const std::string&, const std::string&) {},
            ApiOptions{.login_limits = std::make_shared<domain::LoginLimits>(clock_, 5)});
    }

    static net::Request Post(std::string path, std::string body = "[]") {
        net::Request request;
        request.method = net::Method::kPost;
        request.path = request.target = std::move(path);
        request.body = std::move(body);
        request.headers.emplace_back("content-type", "application/json");
        return request;
    }

    // Runs the request through the API and returns the status (the API answers these synchronously or after
    // the engine's commit).
    int StatusOf(net::Request request) {
        std::promise<int> status;
        api_->Handle(std::move(request), [&](net::Response response) { status.set_value(response.status); });
        return status.get_future().get();
    }

    domain::JwtIssuer jwt_{std::string(64, 's')};
    std::unique_ptr<tsdb::Engine> engine_;
    std::unique_ptr<domain::Devices> devices_;
    std::unique_ptr<Api> api_;
};

TEST_F(ApiInlineTest, HealthRunsInlineAndQueriesDoNot) {
    net::Request health;
    health.path = health.target = "/healthz";
    EXPECT_TRUE(api_->RunsInline(health));
    net::Request ready = health;
    ready.path = ready.target = "/readyz";  // asks the database
    EXPECT_FALSE(api_->RunsInline(ready));
    net::Request unknown = health;
    unknown.path = unknown.target = "/api/v1/nope";
    EXPECT_FALSE(api_->RunsInline(unknown));
}

TEST_F(ApiInlineTest, IngestWithADeviceKeyRunsInlineOnceTheKeyIsInMemory) {
    const std::string key = NewKey();
    auto request = Post("/api/v1/samples", "[{\"series\":\"" + std::to_string(power_.value()) +
                                               "\",\"ts\":" + std::to_string(kT0) + ",\"value\":1}]");
    request.headers.emplace_back("x-api-key", key);
    EXPECT_FALSE(api_->RunsInline(request)) << "the first request reads the key from the database";
    EXPECT_EQ(StatusOf(request), 201);
    EXPECT_TRUE(api_->RunsInline(request));

    auto large = request;
    large.body.assign(100 * 1024, ' ');  // parsing a large batch would hold up the I/O thread
    EXPECT_FALSE(api_->RunsInline(large));

    auto with_token = request;
    with_token.headers.emplace_back("authorization", "Bearer x");  // tokens are checked against the store
    EXPECT_FALSE(api_->RunsInline(with_token));

    auto unknown_key = Post("/api/v1/samples");
    unknown_key.headers.emplace_back("x-api-key", "mhk_abcdefgh_" + std::string(32, 'a'));
    EXPECT_FALSE(api_->RunsInline(unknown_key));
    auto anonymous = Post("/api/v1/samples");
    EXPECT_FALSE(api_->RunsInline(anonymous));

    clock_.Advance(10s);  // the cached key has expired: the next request reads it again, on the pool
    EXPECT_FALSE(api_->RunsInline(request));
}

}  // namespace
}  // namespace mh::api
