// The storage conformance suite: every backend's repositories must pass it. The tests speak only the
// interfaces of store/ (store::Database and its repositories); they are typed over backends that open one:
// SQLite in a temp dir, and PostgreSQL in a new database per test on the binary's own server
// (tests/postgres_server.hpp).
#include <gtest/gtest.h>

#include <latch>
#include <thread>
#include <vector>

#include "domain/access.hpp"
#include "postgres_server.hpp"
#include "store/postgres/open.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/open.hpp"
#include "test_support.hpp"

namespace mh::store {
namespace {

using domain::Access;

struct SqliteBackend {
    static Result<std::unique_ptr<Database>> Open(const std::string& dir, const Clock& clock, IdGenerator& ids) {
        MH_ASSIGN_OR_RETURN(auto database, sqlite::Open(dir + "/meterhub.db", clock, ids, {}));
        return std::unique_ptr<Database>(std::move(database));
    }
};

struct PostgresBackend {
    static Result<std::unique_ptr<Database>> Open(const std::string&, const Clock& clock, IdGenerator& ids) {
        MH_ASSIGN_OR_RETURN(std::string url, testing::PostgresServer::Instance().CreateDatabase());
        MH_ASSIGN_OR_RETURN(auto database, postgres::Open(url, clock, ids, {}));
        return std::unique_ptr<Database>(std::move(database));
    }
};

template <class Backend>
class StoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto opened = Backend::Open(dir_.path().string(), clock_, ids_);
        ASSERT_TRUE(opened) << opened.error().message;
        store_ = std::move(*opened);
    }

    Tenant MakeTenant(const std::string& name) {
        auto t = store_->tenants().CreateTenant({name, "Europe/Berlin", 730});
        EXPECT_TRUE(t) << t.error().message;
        return *t;
    }

    testing::TempDir dir_;
    FakeClock clock_{FromMillis(1'790'000'000'000)};
    IdGenerator ids_{clock_, 1};
    std::unique_ptr<Database> store_;
};

using Backends = ::testing::Types<SqliteBackend, PostgresBackend>;
TYPED_TEST_SUITE(StoreTest, Backends);

TYPED_TEST(StoreTest, MigrationsAreRecordedAndIdempotent) {
    EXPECT_EQ(*this->store_->SchemaVersion(), this->store_->LatestSchemaVersion());
    EXPECT_EQ(*this->store_->Migrate(), 0);  // nothing left to apply
}

TYPED_TEST(StoreTest, TenantsAreUniqueByName) {
    auto a = this->MakeTenant("home");
    auto again = this->store_->tenants().CreateTenant({"home", "UTC", 730});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::kAlreadyExists);
    EXPECT_EQ(this->store_->tenants().FindTenant("home")->id, a.id);
    EXPECT_EQ(this->store_->tenants().GetTenant(a.id)->time_zone, "Europe/Berlin");
    EXPECT_EQ(this->store_->tenants().ListTenants()->size(), 1u);
    EXPECT_EQ(this->store_->tenants().FindTenant("nope").error().code, Errc::kNotFound);
}

TYPED_TEST(StoreTest, UsersEmailIsCaseInsensitiveAndUnique) {
    auto u = this->store_->users().CreateUser({"Ann@Example.org", "Ann", "hash", false});
    ASSERT_TRUE(u);
    EXPECT_EQ(this->store_->users().FindUserByEmail("ann@example.org")->id, u->id);
    EXPECT_EQ(this->store_->users().CreateUser({"ann@example.org", "", "h", false}).error().code, Errc::kAlreadyExists);
    ASSERT_TRUE(this->store_->users().SetPasswordHash(u->id, "new"));
    EXPECT_EQ(this->store_->users().GetUser(u->id)->password_hash, "new");
}

TYPED_TEST(StoreTest, MembershipsCarryRoles) {
    auto t = this->MakeTenant("home");
    auto u = *this->store_->users().CreateUser({"a@b.c", "", "h", false});
    EXPECT_FALSE(this->store_->users().RoleOf(u.id, t.id)->has_value());
    ASSERT_TRUE(this->store_->users().SetMember(t.id, u.id, Role::kViewer));
    EXPECT_EQ(**this->store_->users().RoleOf(u.id, t.id), Role::kViewer);
    ASSERT_TRUE(this->store_->users().SetMember(t.id, u.id, Role::kAdmin));  // changes, does not duplicate
    auto members = *this->store_->users().ListMembers(Access::ForOperator(t.id));
    ASSERT_EQ(members.size(), 1u);
    EXPECT_EQ(members[0].role, Role::kAdmin);
    EXPECT_EQ(this->store_->users().SetMember(t.id, UserId{12345}, Role::kViewer).error().code, Errc::kNotFound);
}

TYPED_TEST(StoreTest, AccessGivesScopesOnlyToMembersAndAdmins) {
    auto t = this->MakeTenant("home");
    auto member = *this->store_->users().CreateUser({"m@x.y", "", "h", false});
    auto stranger = *this->store_->users().CreateUser({"s@x.y", "", "h", false});
    auto admin = *this->store_->users().CreateUser({"a@x.y", "", "h", true});
    ASSERT_TRUE(this->store_->users().SetMember(t.id, member.id, Role::kViewer));
    Access access(this->store_->repositories());
    auto scope = access.ForUser(member.id, t.id);
    ASSERT_TRUE(scope);
    EXPECT_EQ(scope->role(), Role::kViewer);
    EXPECT_FALSE(scope->CanWrite());
    EXPECT_EQ(access.ForUser(stranger.id, t.id).error().code, Errc::kNotFound);
    EXPECT_EQ(access.ForUser(admin.id, t.id)->role(), Role::kOwner);
}

TYPED_TEST(StoreTest, DevicesAndSeries) {
    auto t = this->MakeTenant("home");
    const auto scope = Access::ForOperator(t.id);
    auto d = this->store_->devices().CreateDevice(scope, {"Roof", "solarman", "2712345678", "deye-micro", ""});
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(this->store_->devices().CreateDevice(scope, {"Dup", "solarman", "2712345678", "", ""}).error().code,
              Errc::kAlreadyExists);
    EXPECT_TRUE(this->store_->devices().CreateDevice(scope, {"No serial 1", "generic", "", "", ""}));
    EXPECT_TRUE(
        this->store_->devices().CreateDevice(scope, {"No serial 2", "generic", "", "", ""}));  // empty serials don't clash
    EXPECT_EQ(this->store_->devices().FindDeviceBySerial(scope, "2712345678")->id, d->id);

    auto s = this->store_->devices().EnsureSeries(scope, {d->id, "power_ac", "W", SeriesKind::kGauge});
    ASSERT_TRUE(s);
    EXPECT_EQ(this->store_->devices().EnsureSeries(scope, {d->id, "power_ac", "W", SeriesKind::kGauge})->id, s->id);
    EXPECT_EQ(this->store_->devices().EnsureSeries(scope, {d->id, "power_ac", "kW", SeriesKind::kGauge}).error().code,
              Errc::kAlreadyExists);
    EXPECT_EQ(this->store_->devices().ListSeries(scope, d->id)->size(), 1u);
    auto info = *this->store_->chunks().LookupSeries(s->id);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->tenant, t.id);
    EXPECT_EQ(info->time_zone, "Europe/Berlin");
}

// Writers run side by side on PostgreSQL: callers racing to create one series all get that one series.
TYPED_TEST(StoreTest, SeriesCreatedAtOnceAreOneSeries) {
    auto t = this->MakeTenant("home");
    const auto scope = Access::ForOperator(t.id);
    auto d = *this->store_->devices().CreateDevice(scope, {"dev", "generic", "", "", ""});
    constexpr int kCallers = 4;
    std::vector<Result<Series>> results(kCallers, MakeError(Errc::kInternal, "not run"));
    std::latch start(kCallers);
    std::vector<std::thread> callers;
    for (int i = 0; i < kCallers; ++i) {
        callers.emplace_back([&, i] {
            start.arrive_and_wait();
            results[static_cast<std::size_t>(i)] =
                this->store_->devices().EnsureSeries(scope, {d.id, "energy", "Wh", SeriesKind::kCounter});
        });
    }
    for (auto& caller : callers) caller.join();
    for (const auto& result : results) {
        ASSERT_TRUE(result) << result.error().message;
        EXPECT_EQ(result->id, results[0]->id);
    }
    EXPECT_EQ(this->store_->devices().ListSeries(scope, d.id)->size(), 1u);
}

TYPED_TEST(StoreTest, DeviceEditsChangeOnlyWhatTheyName) {
    auto t = this->MakeTenant("home");
    const auto scope = Access::ForOperator(t.id);
    store::NewDevice roof{"Roof", "opendtu", "116180212345", "", ""};
    roof.rated_power_w = 800;
    roof.mppt_count = 2;
    auto d = *this->store_->devices().CreateDevice(scope, roof);
    EXPECT_EQ(d.mppt_count, 2);
    auto other = *this->store_->devices().CreateDevice(scope, {"Garage", "opendtu", "116180299999", "", ""});

    ASSERT_TRUE(this->store_->devices().UpdateDevice(scope, d.id, {.name = "Roof east", .mppt_count = 4}));
    auto edited = *this->store_->devices().GetDevice(scope, d.id);
    EXPECT_EQ(edited.name, "Roof east");
    EXPECT_EQ(edited.serial, "116180212345");
    EXPECT_EQ(edited.rated_power_w, 800.0);
    EXPECT_EQ(edited.mppt_count, 4);

    EXPECT_EQ(this->store_->devices().UpdateDevice(scope, d.id, {.serial = "116180299999"}).error().code, Errc::kAlreadyExists);
    ASSERT_TRUE(this->store_->devices().UpdateDevice(scope, d.id, {.serial = ""}));  // cleared
    EXPECT_EQ(this->store_->devices().GetDevice(scope, d.id)->serial, "");
    EXPECT_EQ(this->store_->devices().GetDevice(scope, other.id)->name, "Garage");
    EXPECT_EQ(this->store_->devices().UpdateDevice(scope, DeviceId{424242}, {.name = "x"}).error().code, Errc::kNotFound);
}

// The isolation proof: with tenant A's scope, no repository call reads or changes tenant B's rows.
TYPED_TEST(StoreTest, ScopeOfOneTenantCannotReachAnother) {
    auto a = this->MakeTenant("a");
    auto b = this->MakeTenant("b");
    const auto sa = Access::ForOperator(a.id);
    const auto sb = Access::ForOperator(b.id);
    auto b_device = *this->store_->devices().CreateDevice(sb, {"B's", "generic", "SER-B", "", ""});
    auto b_series = *this->store_->devices().EnsureSeries(sb, {b_device.id, "power", "W", SeriesKind::kGauge});
    auto b_user = *this->store_->users().CreateUser({"b@b.b", "", "h", false});
    ASSERT_TRUE(this->store_->users().SetMember(b.id, b_user.id, Role::kOwner));

    EXPECT_TRUE(this->store_->devices().ListDevices(sa)->empty());
    EXPECT_EQ(this->store_->devices().GetDevice(sa, b_device.id).error().code, Errc::kNotFound);
    EXPECT_EQ(this->store_->devices().FindDeviceBySerial(sa, "SER-B").error().code, Errc::kNotFound);
    EXPECT_EQ(this->store_->devices().UpdateDevice(sa, b_device.id, {.name = "mine"}).error().code, Errc::kNotFound);
    EXPECT_EQ(this->store_->devices().DeleteDevice(sa, b_device.id).error().code, Errc::kNotFound);
    EXPECT_TRUE(this->store_->devices().ListSeries(sa, std::nullopt)->empty());
    EXPECT_TRUE(this->store_->devices().ListSeries(sa, b_device.id)->empty());
    EXPECT_EQ(this->store_->devices().GetSeries(sa, b_series.id).error().code, Errc::kNotFound);
    EXPECT_EQ(this->store_->devices().EnsureSeries(sa, {b_device.id, "evil", "W", SeriesKind::kGauge}).error().code,
              Errc::kNotFound);
    EXPECT_TRUE(this->store_->users().ListMembers(sa)->empty());
    EXPECT_EQ(this->store_->users().RemoveMember(sa, b_user.id).error().code, Errc::kNotFound);
    // B's rows are untouched.
    EXPECT_EQ(this->store_->devices().GetDevice(sb, b_device.id)->name, "B's");
    EXPECT_EQ(this->store_->devices().ListSeries(sb, std::nullopt)->size(), 1u);
    EXPECT_EQ(this->store_->users().ListMembers(sb)->size(), 1u);
    // The same serial may exist in two tenants, except where a collector finds devices by their serial.
    EXPECT_TRUE(this->store_->devices().CreateDevice(sa, {"A's", "generic", "SER-B", "", ""}));
    ASSERT_TRUE(this->store_->devices().CreateDevice(sb, {"B's logger", "solarman", "2712345678", "", ""}));
    EXPECT_EQ(this->store_->devices().CreateDevice(sa, {"A's logger", "solarman", "2712345678", "", ""}).error().code,
              Errc::kAlreadyExists);
    EXPECT_EQ(this->store_->devices().ClaimDevice(sa, "2712345678", std::nullopt, "").error().code, Errc::kNotFound);
}

TYPED_TEST(StoreTest, UnclaimedDevicesAreRecordedAndClaimedOnce) {
    auto a = this->MakeTenant("a");
    auto b = this->MakeTenant("b");
    const auto sa = Access::ForOperator(a.id);
    const auto sb = Access::ForOperator(b.id);
    const auto t0 = this->clock_.Now();
    ASSERT_TRUE(this->store_->devices().RecordUnclaimed({"solarman", "2712345678", "10.0.0.7", t0, 1, "firmware X"}));
    ASSERT_TRUE(
        this->store_->devices().RecordUnclaimed({"solarman", "2712345678", "10.0.0.8", t0 + std::chrono::minutes(1), 4, ""}));
    ASSERT_TRUE(this->store_->devices().RecordUnclaimed({"opendtu", "1164", "10.0.0.9", t0, 1, ""}));
    auto waiting = *this->store_->devices().ListUnclaimed();
    ASSERT_EQ(waiting.size(), 2u);
    EXPECT_EQ(waiting[0].serial, "2712345678");  // most recently seen first
    EXPECT_EQ(waiting[0].frames, 5);
    EXPECT_EQ(waiting[0].first_seen, t0);
    EXPECT_EQ(waiting[0].last_seen, t0 + std::chrono::minutes(1));
    EXPECT_EQ(waiting[0].remote_address, "10.0.0.8");
    EXPECT_EQ(waiting[0].details, "firmware X");  // empty details keep the old ones
    EXPECT_EQ(this->store_->devices().FindDeviceBySource("solarman", "2712345678").error().code, Errc::kNotFound);

    auto claimed = this->store_->devices().ClaimDevice(sa, "2712345678", std::nullopt, "Roof");
    ASSERT_TRUE(claimed) << claimed.error().message;
    EXPECT_EQ(claimed->source, "solarman");
    EXPECT_EQ(claimed->name, "Roof");
    EXPECT_EQ(this->store_->devices().FindDeviceBySource("solarman", "2712345678")->tenant, a.id);
    EXPECT_EQ(this->store_->devices().ClaimDevice(sb, "2712345678", std::nullopt, "Mine").error().code, Errc::kNotFound);
    EXPECT_EQ(this->store_->devices().ListUnclaimed()->size(), 1u);

    ASSERT_TRUE(this->store_->devices().SetDeviceFacts(sa, claimed->id, {std::string("MW3_16U_5406_1.57"), 800.0, 2}));
    ASSERT_TRUE(this->store_->devices().SetDeviceFacts(sa, claimed->id, {}));  // keeps all
    auto device = *this->store_->devices().GetDevice(sa, claimed->id);
    EXPECT_EQ(device.firmware, "MW3_16U_5406_1.57");
    EXPECT_EQ(device.rated_power_w, 800.0);
    EXPECT_EQ(device.mppt_count, 2);
    EXPECT_EQ(this->store_->devices().SetDeviceFacts(sb, claimed->id, {std::string("evil"), 1.0}).error().code, Errc::kNotFound);

    // Registering a waiting serial by hand takes it off the list too.
    ASSERT_TRUE(this->store_->devices().CreateDevice(sb, {"DTU", "opendtu", "1164", "", ""}));
    EXPECT_TRUE(this->store_->devices().ListUnclaimed()->empty());
}

TYPED_TEST(StoreTest, DeletingATenantCascadesToEverythingItOwns) {
    auto t = this->MakeTenant("gone");
    const auto scope = Access::ForOperator(t.id);
    auto d = *this->store_->devices().CreateDevice(scope, {"dev", "generic", "S1", "", ""});
    auto s = *this->store_->devices().EnsureSeries(scope, {d.id, "power", "W", SeriesKind::kGauge});
    auto u = *this->store_->users().CreateUser({"u@u.u", "", "h", false});
    ASSERT_TRUE(this->store_->users().SetMember(t.id, u.id, Role::kOwner));
    ChunkWrite write;
    write.chunks.push_back({s.id, t.id, 1000, 2000, 2, {1, 2, 3}});
    write.rollups.push_back({s.id, t.id, 300, 0, 2, 1, 2, 3, 1000, 1, 2000, 2, 0, 0});
    ASSERT_TRUE(this->store_->chunks().Write(write, {}));
    ASSERT_EQ(this->store_->chunks().ChunkStats()->chunks, 1);

    ASSERT_TRUE(this->store_->tenants().DeleteTenant(t.id));
    EXPECT_FALSE(*this->store_->chunks().LookupSeries(s.id));
    EXPECT_EQ(this->store_->chunks().ChunkStats()->chunks, 0);
    EXPECT_TRUE(this->store_->chunks().ReadRollups(s.id, 300, 0, 10'000)->empty());
    EXPECT_FALSE(this->store_->users().RoleOf(u.id, t.id)->has_value());
    EXPECT_TRUE(this->store_->users().GetUser(u.id));  // users outlive their tenants
    EXPECT_EQ(this->store_->tenants().DeleteTenant(t.id).error().code, Errc::kNotFound);
}

TYPED_TEST(StoreTest, DeletingAUserOrDeviceCascades) {
    auto t = this->MakeTenant("home");
    const auto scope = Access::ForOperator(t.id);
    auto u = *this->store_->users().CreateUser({"u@u.u", "", "h", false});
    ASSERT_TRUE(this->store_->users().SetMember(t.id, u.id, Role::kOwner));
    ASSERT_TRUE(this->store_->users().DeleteUser(u.id));
    EXPECT_TRUE(this->store_->users().ListMembers(scope)->empty());

    auto d = *this->store_->devices().CreateDevice(scope, {"dev", "generic", "", "", ""});
    auto s = *this->store_->devices().EnsureSeries(scope, {d.id, "power", "W", SeriesKind::kGauge});
    ChunkWrite write;
    write.chunks.push_back({s.id, t.id, 1000, 2000, 2, {1}});
    ASSERT_TRUE(this->store_->chunks().Write(write, {}));
    ASSERT_TRUE(this->store_->devices().DeleteDevice(scope, d.id));
    EXPECT_EQ(this->store_->devices().GetSeries(scope, s.id).error().code, Errc::kNotFound);
    EXPECT_EQ(this->store_->chunks().ChunkStats()->chunks, 0);
}

TYPED_TEST(StoreTest, ChunkWritesSkipDeletedSeriesAndRollupsMerge) {
    auto t = this->MakeTenant("home");
    const auto scope = Access::ForOperator(t.id);
    auto d = *this->store_->devices().CreateDevice(scope, {"dev", "generic", "", "", ""});
    auto s = *this->store_->devices().EnsureSeries(scope, {d.id, "power", "W", SeriesKind::kGauge});
    ChunkWrite first;
    first.rollups.push_back({s.id, t.id, 300, 0, 2, 1, 5, 6, 10, 1, 20, 5, 0.5, 1});
    first.chunks.push_back({SeriesId{999}, t.id, 1, 2, 1, {0}});  // no such series: skipped
    ASSERT_TRUE(this->store_->chunks().Write(first, {}));
    ChunkWrite second;
    second.rollups.push_back({s.id, t.id, 300, 0, 1, 0.5, 0.5, 0.5, 5, 0.5, 5, 0.5, 0.25, 2});
    ASSERT_TRUE(this->store_->chunks().Write(second, {}));
    auto rows = *this->store_->chunks().ReadRollups(s.id, 300, 0, 1);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].count, 3);
    EXPECT_DOUBLE_EQ(rows[0].min, 0.5);
    EXPECT_DOUBLE_EQ(rows[0].max, 5);
    EXPECT_DOUBLE_EQ(rows[0].sum, 6.5);
    EXPECT_EQ(rows[0].first_ts, 5);
    EXPECT_DOUBLE_EQ(rows[0].first, 0.5);
    EXPECT_EQ(rows[0].last_ts, 20);
    EXPECT_DOUBLE_EQ(rows[0].increase, 0.75);
    EXPECT_DOUBLE_EQ(rows[0].integral, 3);
    EXPECT_EQ(this->store_->chunks().ChunkStats()->chunks, 0);
}

TYPED_TEST(StoreTest, ApiKeysBelongToOneTenant) {
    auto a = this->MakeTenant("a");
    auto b = this->MakeTenant("b");
    const auto sa = Access::ForOperator(a.id);
    const auto sb = Access::ForOperator(b.id);
    auto key = this->store_->auth().CreateApiKey(sb, "roof logger", "mhk_ABCDEFGH", "hash");
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_TRUE(this->store_->auth().ListApiKeys(sa)->empty());
    EXPECT_EQ(this->store_->auth().RevokeApiKey(sa, key->id).error().code, Errc::kNotFound);
    auto found = *this->store_->auth().FindApiKey("mhk_ABCDEFGH");
    EXPECT_EQ(found.tenant, b.id);
    EXPECT_FALSE(found.revoked_at);
    ASSERT_TRUE(this->store_->auth().RevokeApiKey(sb, key->id));
    EXPECT_TRUE(this->store_->auth().FindApiKey("mhk_ABCDEFGH")->revoked_at);
    ASSERT_TRUE(this->store_->tenants().DeleteTenant(b.id));
    EXPECT_EQ(this->store_->auth().FindApiKey("mhk_ABCDEFGH").error().code, Errc::kNotFound);
}

TYPED_TEST(StoreTest, RevokedTokensAndOneTimeEmailTokens) {
    EXPECT_FALSE(*this->store_->auth().IsTokenRevoked("jti-1"));
    ASSERT_TRUE(this->store_->auth().RevokeToken("jti-1", this->clock_.Now() + std::chrono::hours(48)));
    EXPECT_TRUE(*this->store_->auth().IsTokenRevoked("jti-1"));

    auto u = *this->store_->users().CreateUser({"u@u.u", "", "h", false});
    const auto later = this->clock_.Now() + std::chrono::hours(1);
    ASSERT_TRUE(this->store_->auth().CreateEmailToken(u.id, EmailTokenPurpose::kVerify, "h1", "", later));
    EXPECT_EQ(this->store_->auth().ConsumeEmailToken(EmailTokenPurpose::kReset, "h1", this->clock_.Now()).error().code,
              Errc::kNotFound);  // wrong purpose
    EXPECT_EQ(this->store_->auth().ConsumeEmailToken(EmailTokenPurpose::kVerify, "h1", this->clock_.Now())->first, u.id);
    EXPECT_FALSE(this->store_->auth().ConsumeEmailToken(EmailTokenPurpose::kVerify, "h1", this->clock_.Now()));  // once
    ASSERT_TRUE(this->store_->auth().CreateEmailToken(u.id, EmailTokenPurpose::kReset, "h2", "", later));
    EXPECT_FALSE(this->store_->auth().ConsumeEmailToken(EmailTokenPurpose::kReset, "h2", later + std::chrono::seconds(1)));
    ASSERT_TRUE(this->store_->users().SetEmailVerified(u.id, true));
    EXPECT_TRUE(this->store_->users().GetUser(u.id)->email_verified);
}

TYPED_TEST(StoreTest, MembershipsOfAUserAreItsTenantsWithRoles) {
    auto u = *this->store_->users().CreateUser({"member@u.u", "", "h", false});
    auto b = *this->store_->tenants().CreateTenant({"b-home"});
    auto a = *this->store_->tenants().CreateTenant({"a-home"});
    ASSERT_TRUE(this->store_->tenants().CreateTenant({"c-other"}));
    EXPECT_TRUE(this->store_->users().MembershipsOf(u.id)->empty());
    ASSERT_TRUE(this->store_->users().SetMember(b.id, u.id, Role::kViewer));
    ASSERT_TRUE(this->store_->users().SetMember(a.id, u.id, Role::kOwner));
    auto memberships = this->store_->users().MembershipsOf(u.id);
    ASSERT_TRUE(memberships) << memberships.error().message;
    ASSERT_EQ(memberships->size(), 2u);  // by name, and never c-other
    EXPECT_EQ((*memberships)[0].tenant.id, a.id);
    EXPECT_EQ((*memberships)[0].role, Role::kOwner);
    EXPECT_EQ((*memberships)[1].tenant.name, "b-home");
    EXPECT_EQ((*memberships)[1].role, Role::kViewer);
}

TYPED_TEST(StoreTest, UsersKeepTheirLanguage) {
    auto u = *this->store_->users().CreateUser({"lang@u.u", "", "h", false});
    EXPECT_EQ(u.language, "");
    ASSERT_TRUE(this->store_->users().SetUserLanguage(u.id, "de"));
    EXPECT_EQ(this->store_->users().GetUser(u.id)->language, "de");
    EXPECT_EQ(this->store_->users().FindUserByEmail("lang@u.u")->language, "de");
    EXPECT_EQ(this->store_->users().SetUserLanguage(UserId{987654}, "de").error().code, Errc::kNotFound);
}

TYPED_TEST(StoreTest, BrowserSessionsExpireEndAndGoWithTheirUser) {
    auto u = *this->store_->users().CreateUser({"s@s.s", "", "h", false});
    const auto later = this->clock_.Now() + std::chrono::hours(1);
    ASSERT_TRUE(this->store_->auth().CreateSession("sess-1", u.id, "csrf-1", later));
    auto found = this->store_->auth().FindSession("sess-1", this->clock_.Now());
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(found->user, u.id);
    EXPECT_EQ(found->csrf_token, "csrf-1");
    EXPECT_EQ(this->store_->auth().FindSession("sess-1", later + std::chrono::seconds(1)).error().code,
              Errc::kUnauthenticated);
    ASSERT_TRUE(this->store_->auth().DeleteSession("sess-1"));
    EXPECT_FALSE(this->store_->auth().FindSession("sess-1", this->clock_.Now()));
    ASSERT_TRUE(this->store_->auth().CreateSession("sess-2", u.id, "csrf-2", later));
    ASSERT_TRUE(this->store_->users().DeleteUser(u.id));
    EXPECT_FALSE(this->store_->auth().FindSession("sess-2", this->clock_.Now()));
}

TYPED_TEST(StoreTest, ALeaseHasOneHolderUntilItExpires) {
    auto& leases = this->store_->leases();
    const Timestamp t0 = this->clock_.Now();
    const auto later = [&](int seconds) { return t0 + std::chrono::seconds(seconds); };
    EXPECT_TRUE(*leases.Acquire("job/purge", "a", t0, later(30)));
    EXPECT_FALSE(*leases.Acquire("job/purge", "b", later(10), later(40)));  // a's lease runs
    EXPECT_TRUE(*leases.Acquire("job/purge", "a", later(20), later(50)));   // a renews
    EXPECT_FALSE(*leases.Acquire("job/purge", "b", later(49), later(79)));
    auto held = *leases.Find("job/purge");
    ASSERT_TRUE(held);
    EXPECT_EQ(held->holder, "a");
    EXPECT_EQ(held->expires_at, later(50));
    EXPECT_TRUE(*leases.Acquire("job/purge", "b", later(50), later(80)));  // a stopped renewing: b takes over
    EXPECT_FALSE(*leases.Acquire("job/purge", "a", later(51), later(81)));  // and a cannot take it back
    EXPECT_EQ((*leases.Find("job/purge"))->holder, "b");
    EXPECT_FALSE(*leases.Find("job/other"));
    EXPECT_EQ(leases.Acquire("", "a", t0, later(1)).error().code, Errc::kInvalidArgument);
}

TYPED_TEST(StoreTest, ALeaseIsReleasedOnlyByItsHolder) {
    auto& leases = this->store_->leases();
    const Timestamp t0 = this->clock_.Now();
    ASSERT_TRUE(*leases.Acquire("instance/3", "a", t0, t0 + std::chrono::minutes(1)));
    ASSERT_TRUE(leases.Release("instance/3", "b"));  // not b's: nothing happens
    EXPECT_FALSE(*leases.Acquire("instance/3", "b", t0, t0 + std::chrono::minutes(1)));
    ASSERT_TRUE(leases.Release("instance/3", "a"));
    EXPECT_TRUE(*leases.Acquire("instance/3", "b", t0, t0 + std::chrono::minutes(1)));
    ASSERT_TRUE(*leases.Acquire("instance/10", "c", t0, t0 + std::chrono::minutes(1)));
    ASSERT_TRUE(*leases.Acquire("instances", "d", t0, t0 + std::chrono::minutes(1)));  // not under "instance/"
    auto listed = *leases.List("instance/");
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].name, "instance/10");
    EXPECT_EQ(listed[1].name, "instance/3");
}

TEST(SqliteStore, RefusesADatabaseFromTheFuture) {
    testing::TempDir dir;
    FakeClock clock(FromMillis(1'790'000'000'000));
    IdGenerator ids(clock, 1);
    const std::string path = dir.File("m.db");
    ASSERT_TRUE(sqlite::Open(path, clock, ids, {}));
    {
        auto c = *sqlite::Connection::Open(path, false);
        ASSERT_TRUE(c->Exec("INSERT INTO schema_migrations VALUES (999, 'future', 0)"));
    }
    auto reopened = sqlite::Open(path, clock, ids, {});
    ASSERT_FALSE(reopened);
    EXPECT_EQ(reopened.error().code, Errc::kFailedPrecondition);
    EXPECT_NE(reopened.error().message.find("newer"), std::string::npos);
}

}  // namespace
}  // namespace mh::store
