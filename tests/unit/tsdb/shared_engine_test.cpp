// The shared engine on the run's real PostgreSQL (tests/postgres_server.hpp): acknowledged means committed there,
// another instance reads it at once, compaction under concurrent writes loses and duplicates nothing, reads and
// rollups equal the local engine's on the same samples before and after compaction, and writes fail with
// kUnavailable (never an acknowledgement) while the database refuses connections, and work again after.
#include "tsdb/shared_engine.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <thread>

#include "core/tenant_scope.hpp"
#include "domain/access.hpp"
#include "postgres_server.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/open.hpp"
#include "store/postgres/sample_journal.hpp"
#include "store/sqlite/open.hpp"
#include "test_support.hpp"
#include "tsdb/local_engine.hpp"

namespace mh::tsdb {
namespace {

using domain::Access;
using store::SeriesKind;
using Batch = std::vector<SeriesSample>;

constexpr std::int64_t kT0 = 1'790'000'000'000;  // 2026-09-21T...Z
constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kEver = std::numeric_limits<std::int64_t>::max();

EngineOptions Options() {
    EngineOptions options;
    options.chunk_samples = 16;
    options.checkpoint_interval_ms = 1'000'000'000;
    options.sync = false;
    return options;
}

// One meterhub instance on the shared database: its own pool, journal and engine.
struct Instance {
    std::unique_ptr<store::sql::SqlDatabase> db;
    std::unique_ptr<store::postgres::PostgresJournal> journal;
    std::unique_ptr<SharedEngine> engine;
};

class SharedEngineTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto url = testing::PostgresServer::Instance().CreateDatabase();
        ASSERT_TRUE(url) << url.error().message;
        url_ = *url;
        a_ = OpenInstance();
        ASSERT_TRUE(a_.engine);
        auto& store = *a_.db;
        tenant_ = *store.tenants().CreateTenant({"home", "Europe/Berlin", 730});
        other_ = *store.tenants().CreateTenant({"other", "UTC", 730});
        const auto device = *store.devices().CreateDevice(Scope(), {"inv", "generic", "", "", ""});
        power_ = store.devices().EnsureSeries(Scope(), {device.id, "power", "W", SeriesKind::kGauge})->id;
        energy_ = store.devices().EnsureSeries(Scope(), {device.id, "energy", "kWh", SeriesKind::kCounter})->id;
    }

    Instance OpenInstance() {
        Instance instance;
        auto db = store::postgres::Open(url_, clock_, ids_, {});
        EXPECT_TRUE(db) << db.error().message;
        if (!db) return instance;
        instance.db = std::move(*db);
        instance.journal = std::make_unique<store::postgres::PostgresJournal>(instance.db->pool());
        auto engine = SharedEngine::Open(instance.db->chunks(), *instance.journal, clock_, Options());
        EXPECT_TRUE(engine) << engine.error().message;
        if (engine) instance.engine = std::move(*engine);
        return instance;
    }

    TenantScope Scope() const { return Access::ForOperator(tenant_.id); }

    std::vector<Sample> All(Engine& engine, SeriesId series) { return *engine.ReadRaw(Scope(), series, 0, kEver); }

    std::string url_;
    FakeClock clock_{FromMillis(kT0 + 30 * kDay)};
    IdGenerator ids_{clock_, 1};
    Instance a_;
    store::Tenant tenant_, other_;
    SeriesId power_, energy_;
};

// What both engines get: a day and a half of power and a counter, crossing local midnight, with a repeated
// sample, a corrected one and a late one.
std::vector<std::vector<SeriesSample>> Workload(SeriesId power, SeriesId energy) {
    std::vector<std::vector<SeriesSample>> batches;
    double total = 1000;
    for (int b = 0; b < 36; ++b) {
        std::vector<SeriesSample> batch;
        for (int i = 0; i < 12; ++i) {
            const std::int64_t ts = kT0 + b * kHour + i * 5 * kMinute;
            const double watts = 200.0 + (b * 12 + i) % 97;
            total += watts / 12000.0;
            batch.push_back({power, ts, watts});
            batch.push_back({energy, ts, total});
        }
        batches.push_back(batch);
    }
    batches.push_back({{power, kT0 + 3 * kHour, 200.0 + 36 % 97}});     // repeated: same value
    batches.push_back({{power, kT0 + 4 * kHour, 999.0}});               // corrected
    batches.push_back({{power, kT0 + 2 * kHour + 2 * kMinute, 50.0}});  // late: between two samples
    return batches;
}

TEST_F(SharedEngineTest, AnAcknowledgedSampleIsInTheDatabaseAndReadByAnotherInstanceAtOnce) {
    Instance b = OpenInstance();
    ASSERT_TRUE(b.engine);
    ASSERT_TRUE(a_.engine->Write(Scope(), Batch{{power_, kT0, 100.0}, {power_, kT0 + kMinute, 110.0}}));
    // Committed: the table holds it, and B, which wrote nothing, reads it without any compaction.
    EXPECT_EQ(*a_.journal->PendingRows(), 2);
    auto seen = All(*b.engine, power_);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[1].value, 110.0);
    EXPECT_EQ((*b.engine->Latest(Scope(), power_))->value, 110.0);
    // A's instance goes away; nothing of what it acknowledged went with it.
    a_ = Instance{};
    ASSERT_TRUE(b.engine->Checkpoint());
    EXPECT_EQ(*b.journal->PendingRows(), 0);
    EXPECT_EQ(All(*b.engine, power_).size(), 2u);
    EXPECT_EQ(b.db->chunks().ChunkStats()->samples, 2);
}

TEST_F(SharedEngineTest, ReadsAndRollupsEqualTheLocalEnginesBeforeAndAfterCompaction) {
    testing::TempDir dir;
    auto sqlite = *store::sqlite::Open(dir.File("m.db"), clock_, ids_, {});
    // The same ids on both sides, so the workload is the same.
    auto tenant = *sqlite->tenants().CreateTenant({"home", "Europe/Berlin", 730});
    const TenantScope scope = Access::ForOperator(tenant.id);
    const auto device = *sqlite->devices().CreateDevice(scope, {"inv", "generic", "", "", ""});
    const SeriesId power = sqlite->devices().EnsureSeries(scope, {device.id, "power", "W", SeriesKind::kGauge})->id;
    const SeriesId energy =
        sqlite->devices().EnsureSeries(scope, {device.id, "energy", "kWh", SeriesKind::kCounter})->id;
    auto options = Options();
    options.log_dir = dir.File("m.db-log");
    auto local = *LocalEngine::Open(sqlite->chunks(), clock_, options);

    auto compare = [&](const char* when) {
        SCOPED_TRACE(when);
        for (auto [mine, theirs] : {std::pair{power_, power}, std::pair{energy_, energy}}) {
            auto shared_raw = *a_.engine->ReadRaw(Scope(), mine, 0, kEver);
            auto local_raw = *local->ReadRaw(scope, theirs, 0, kEver);
            EXPECT_EQ(shared_raw, local_raw);
            for (std::int32_t resolution : {3600, 86400}) {
                auto shared = *a_.engine->ReadRollups(Scope(), mine, resolution, 0, kEver);
                auto expected = *local->ReadRollups(scope, theirs, resolution, 0, kEver);
                ASSERT_EQ(shared.size(), expected.size()) << resolution;
                for (std::size_t i = 0; i < shared.size(); ++i) {
                    EXPECT_EQ(shared[i].bucket_ms, expected[i].bucket_ms);
                    EXPECT_EQ(shared[i].count, expected[i].count) << resolution << " " << i;
                    EXPECT_DOUBLE_EQ(shared[i].min, expected[i].min);
                    EXPECT_DOUBLE_EQ(shared[i].max, expected[i].max);
                    EXPECT_DOUBLE_EQ(shared[i].last, expected[i].last);
                    EXPECT_NEAR(shared[i].increase, expected[i].increase, 1e-9);
                    EXPECT_NEAR(shared[i].integral, expected[i].integral, 1e-6);
                }
            }
        }
    };
    auto half = Workload(power_, energy_);
    auto theirs = Workload(power, energy);
    // First half, compacted on one side and checkpointed on the other; then the rest left pending.
    for (std::size_t i = 0; i < half.size() / 2; ++i) {
        ASSERT_TRUE(a_.engine->Write(Scope(), half[i]));
        ASSERT_TRUE(local->Write(scope, theirs[i]));
    }
    compare("first half, pending");
    ASSERT_TRUE(a_.engine->Checkpoint());
    ASSERT_TRUE(local->Checkpoint());
    compare("first half, compacted");
    for (std::size_t i = half.size() / 2; i < half.size(); ++i) {
        ASSERT_TRUE(a_.engine->Write(Scope(), half[i]));
        ASSERT_TRUE(local->Write(scope, theirs[i]));
    }
    compare("all, half pending");
    ASSERT_TRUE(a_.engine->Checkpoint());
    ASSERT_TRUE(local->Checkpoint());
    compare("all, compacted");
}

TEST_F(SharedEngineTest, CompactionWhileTwoInstancesWriteLosesAndDuplicatesNothing) {
    Instance b = OpenInstance();
    ASSERT_TRUE(b.engine);
    constexpr int kPerWriter = 600;
    std::atomic<bool> writing{true};
    auto writer = [&](SharedEngine& engine, std::int64_t offset) {
        for (int i = 0; i < kPerWriter; ++i) {
            // The two instances interleave one series (a device's pushes balanced over both).
            ASSERT_TRUE(engine.Write(Scope(), Batch{{power_, kT0 + (2 * i + offset) * 1000, double(i)}}));
        }
    };
    std::thread wa(writer, std::ref(*a_.engine), 0);
    std::thread wb(writer, std::ref(*b.engine), 1);
    std::thread compactor([&] {
        while (writing.load()) ASSERT_TRUE(a_.engine->Compact(kEver));
    });
    wa.join();
    wb.join();
    writing.store(false);
    compactor.join();
    auto all = All(*b.engine, power_);
    ASSERT_EQ(all.size(), 2u * kPerWriter);
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].ts_ms, kT0 + std::int64_t(i) * 1000);
    ASSERT_TRUE(b.engine->Checkpoint());
    EXPECT_EQ(*b.journal->PendingRows(), 0);
    EXPECT_EQ(b.db->chunks().ChunkStats()->samples, 2 * kPerWriter);
    EXPECT_EQ(All(*a_.engine, power_).size(), 2u * kPerWriter);
    auto day = *a_.engine->ReadRollups(Scope(), power_, 86400, 0, kEver);
    ASSERT_EQ(day.size(), 1u);
    EXPECT_EQ(day[0].count, 2 * kPerWriter);
}

TEST_F(SharedEngineTest, ScopesKeepTenantsApartAndViewersReadOnly) {
    ASSERT_TRUE(a_.engine->Write(Scope(), Batch{{power_, kT0, 1.0}}));
    const TenantScope stranger = Access::ForOperator(other_.id);
    EXPECT_EQ(a_.engine->Write(stranger, Batch{{power_, kT0 + 1, 2.0}}).error().code, Errc::kNotFound);
    EXPECT_EQ(a_.engine->ReadRaw(stranger, power_, 0, kEver).error().code, Errc::kNotFound);
    EXPECT_EQ(a_.engine->Latest(stranger, power_).error().code, Errc::kNotFound);
    auto user = *a_.db->users().CreateUser({"v@v.v", "", "h", false});
    ASSERT_TRUE(a_.db->users().SetMember(tenant_.id, user.id, Role::kViewer));
    const TenantScope viewer = *Access(a_.db->repositories()).ForUser(user.id, tenant_.id);
    EXPECT_EQ(a_.engine->Write(viewer, Batch{{power_, kT0 + 2, 3.0}}).error().code, Errc::kPermissionDenied);
    EXPECT_EQ(All(*a_.engine, power_).size(), 1u);
}

TEST_F(SharedEngineTest, WhileTheDatabaseRefusesConnectionsWritesAreRefusedThenWorkAgain) {
    ASSERT_TRUE(a_.engine->Write(Scope(), Batch{{power_, kT0, 1.0}}));
    const std::string name = url_.substr(url_.rfind('/') + 1);
    auto admin = *store::postgres::Connection::Open(testing::PostgresServer::Instance().Url("postgres"), false);
    auto cut = [&](int limit) {
        ASSERT_TRUE(admin->Exec("ALTER DATABASE " + name + " CONNECTION LIMIT " + std::to_string(limit)));
        if (limit == 0) {
            ASSERT_TRUE(admin->Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name +
                                    "' AND pid <> pg_backend_pid()"));
        }
    };
    cut(0);  // every connection of the instance is dropped, and new ones are refused
    auto refused = a_.engine->Write(Scope(), Batch{{power_, kT0 + kMinute, 2.0}});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::kUnavailable) << refused.error().message;
    EXPECT_FALSE(a_.engine->Health());
    cut(-1);
    ASSERT_TRUE(a_.engine->Write(Scope(), Batch{{power_, kT0 + 2 * kMinute, 3.0}}));  // the pool reconnects
    EXPECT_TRUE(a_.engine->Health());
    auto all = All(*a_.engine, power_);
    ASSERT_EQ(all.size(), 2u);  // the refused sample is not there
    EXPECT_EQ(all[1].value, 3.0);
}

TEST_F(SharedEngineTest, DaysGetPartitionsAheadAndCompactedOldDaysAreDropped) {
    auto partitions = [&] {
        auto lease = *a_.db->pool().Read(store::sql::Access::Owner());
        auto list = *lease->Prepare(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'samples_raw'::regclass ORDER BY 1");
        std::vector<std::string> names;
        while (*list->Step()) names.push_back(list->Text(0));
        return names;
    };
    const std::int64_t now = ToMillis(clock_.Now());
    const std::int64_t today = now / kDay * kDay;
    ASSERT_TRUE(a_.journal->Maintain(now - 5 * kDay));  // an old day's partition, made when it was today
    const std::string old_day = store::postgres::JournalPartitionName(today - 5 * kDay);
    // A sample of the old day, and one of a day with no partition (the default one takes it).
    ASSERT_TRUE(
        a_.engine->Write(Scope(), Batch{{power_, today - 5 * kDay + kHour, 5.0}, {power_, today - 9 * kDay, 9.0}}));
    ASSERT_TRUE(a_.journal->Maintain(now));
    auto names = partitions();
    EXPECT_NE(std::find(names.begin(), names.end(), old_day), names.end());  // not empty: kept
    for (int d = 0; d <= 2; ++d) {
        EXPECT_NE(std::find(names.begin(), names.end(), store::postgres::JournalPartitionName(today + d * kDay)),
                  names.end());
    }
    EXPECT_EQ(All(*a_.engine, power_).size(), 2u);
    ASSERT_TRUE(a_.engine->Checkpoint());  // compacts, then housekeeping drops the emptied old day
    names = partitions();
    EXPECT_EQ(std::find(names.begin(), names.end(), old_day), names.end());
    EXPECT_NE(std::find(names.begin(), names.end(), "samples_raw_default"), names.end());
    EXPECT_EQ(All(*a_.engine, power_).size(), 2u);
}

}  // namespace
}  // namespace mh::tsdb
