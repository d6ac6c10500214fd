#include "tsdb/local_engine.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <future>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "domain/access.hpp"
#include "store/sqlite/open.hpp"
#include "test_support.hpp"
#include "tsdb/aggregate.hpp"
#include "fault_log_env.hpp"

namespace mh::tsdb {
namespace {

using domain::Access;
using store::SeriesKind;

constexpr std::int64_t kT0 = 1'790'000'000'000;  // 2026-09-21T...Z
constexpr std::int64_t kMinute = 60'000;
using Batch = std::vector<SeriesSample>;

class EngineTest : public ::testing::Test {
  protected:
    void SetUp() override {
        store_ = *store::sqlite::Open(dir_.File("m.db"), clock_, ids_, {});
        tenant_ = *store_->tenants().CreateTenant({"home", "UTC", 730});
        other_ = *store_->tenants().CreateTenant({"other", "UTC", 730});
        device_ = *store_->devices().CreateDevice(Scope(), {"inv", "generic", "", "", ""});
        power_ = store_->devices().EnsureSeries(Scope(), {device_.id, "power", "W", SeriesKind::kGauge})->id;
        energy_ = store_->devices().EnsureSeries(Scope(), {device_.id, "energy", "kWh", SeriesKind::kCounter})->id;
        Open();
    }

    TenantScope Scope() const { return Access::ForOperator(tenant_.id); }

    void Open(bool checkpoint_on_close = true, LogEnv* log_env = nullptr) {
        EngineOptions options;
        options.log_dir = dir_.File("m.db-log");
        // Durability is the crash test's business; keep unit tests quick. A test with a faulty env syncs.
        options.sync = log_env != nullptr;
        options.log_env = log_env;
        options.checkpoint_interval_ms = 1'000'000'000;
        options.chunk_samples = 16;
        options.checkpoint_on_close = checkpoint_on_close;
        auto engine = LocalEngine::Open(store_->chunks(), clock_, options);
        ASSERT_TRUE(engine) << engine.error().message;
        engine_ = std::move(*engine);
    }

    void Reopen(bool checkpoint_on_close = true) {
        engine_.reset();
        Open(checkpoint_on_close);
    }

    std::vector<SeriesSample> Minutes(SeriesId series, int n, double (*value)(int), std::int64_t start = kT0) {
        std::vector<SeriesSample> out;
        for (int i = 0; i < n; ++i) out.push_back({series, start + i * kMinute, value(i)});
        return out;
    }

    std::vector<Sample> All(SeriesId series) {
        return *engine_->ReadRaw(Scope(), series, 0, std::numeric_limits<std::int64_t>::max());
    }

    testing::TempDir dir_;
    FakeClock clock_{FromMillis(kT0 + 30LL * 86'400'000)};
    IdGenerator ids_{clock_, 1};
    std::unique_ptr<store::sql::SqlDatabase> store_;
    store::Tenant tenant_, other_;
    store::Device device_;
    SeriesId power_, energy_;
    std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, WrittenSamplesReadBackBeforeAndAfterCheckpointAndRestart) {
    auto samples = Minutes(power_, 100, [](int i) { return 100.0 + i; });
    ASSERT_TRUE(engine_->Write(Scope(), samples));
    auto expect_all = [&] {
        auto got = All(power_);
        ASSERT_EQ(got.size(), 100u);
        for (int i = 0; i < 100; ++i) {
            EXPECT_EQ(got[i].ts_ms, kT0 + i * kMinute);
            EXPECT_EQ(got[i].value, 100.0 + i);
        }
        auto latest = *engine_->Latest(Scope(), power_);
        ASSERT_TRUE(latest);
        EXPECT_EQ(latest->value, 199.0);
    };
    expect_all();
    ASSERT_TRUE(engine_->Checkpoint());
    expect_all();
    EXPECT_GE(store_->chunks().ChunkStats()->chunks, 100 / 16);
    Reopen();
    expect_all();
}

TEST_F(EngineTest, LogReplayRestoresWhatNoCheckpointWrote) {
    Reopen(/*checkpoint_on_close=*/false);  // an engine that leaves its samples in the log when it goes
    ASSERT_TRUE(engine_->Write(Scope(), Minutes(power_, 50, [](int i) { return i * 1.5; })));
    Reopen(false);
    EXPECT_EQ(engine_->stats().replayed_samples, 50);
    EXPECT_EQ(store_->chunks().ChunkStats()->chunks, 0);
    EXPECT_EQ(All(power_).size(), 50u);
    // Replay then checkpoint then replay again: still no duplicates.
    ASSERT_TRUE(engine_->Checkpoint());
    Reopen(false);
    EXPECT_EQ(All(power_).size(), 50u);
}

TEST_F(EngineTest, RollupsSummariseBucketsAndSurviveCheckpoints) {
    // 60 minutes of 1000 W starting on the hour: one hourly bucket with 60 samples and 59 minutes of energy.
    ASSERT_TRUE(engine_->Write(Scope(), Minutes(power_, 60, [](int) { return 1000.0; })));
    auto check = [&] {
        auto fives = *engine_->ReadRollups(Scope(), power_, kHour, kT0 - 3'600'000, kT0 + 7'200'000);
        std::int64_t count = 0;
        double integral = 0;
        for (const auto& r : fives) {
            count += r.count;
            integral += r.integral;
            EXPECT_EQ(r.min, 1000.0);
            EXPECT_EQ(r.max, 1000.0);
        }
        EXPECT_EQ(count, 60);
        EXPECT_NEAR(integral, 1000.0 * 59 / 60, 1e-9);  // Wh
    };
    check();
    ASSERT_TRUE(engine_->Checkpoint());
    check();
    ASSERT_TRUE(engine_->Write(Scope(), Minutes(
                                            power_, 1, [](int) { return 1000.0; }, kT0 + 60 * kMinute)));
    auto fives = *engine_->ReadRollups(Scope(), power_, kHour, kT0 - 3'600'000, kT0 + 7'200'000);
    double integral = 0;
    for (const auto& r : fives) integral += r.integral;
    EXPECT_NEAR(integral, 1000.0, 1e-9);  // the interval across the checkpoint counts once
}

TEST_F(EngineTest, RepeatedAndLateSamplesNeverDuplicate) {
    auto batch = Minutes(power_, 20, [](int i) { return static_cast<double>(i); });
    ASSERT_TRUE(engine_->Write(Scope(), batch));
    ASSERT_TRUE(engine_->Write(Scope(), batch));  // a retried push
    ASSERT_TRUE(engine_->Checkpoint());
    ASSERT_TRUE(engine_->Write(Scope(), batch));  // retried after it reached the chunks
    std::vector<SeriesSample> changed{{power_, kT0 + 5 * kMinute, 500.0}};
    ASSERT_TRUE(engine_->Write(Scope(), changed));  // same series and time: an update
    std::vector<SeriesSample> late{{power_, kT0 + 5 * kMinute + 30'000, 7.0}};
    ASSERT_TRUE(engine_->Write(Scope(), late));
    auto check = [&] {
        auto got = All(power_);
        ASSERT_EQ(got.size(), 21u);
        EXPECT_EQ(got[5].value, 500.0);
        EXPECT_EQ(got[6].ts_ms, kT0 + 5 * kMinute + 30'000);
        for (std::size_t i = 1; i < got.size(); ++i) EXPECT_LT(got[i - 1].ts_ms, got[i].ts_ms);
    };
    check();
    ASSERT_TRUE(engine_->Checkpoint());
    check();
    // Rollups were recomputed from the data: 21 samples, the updated value in the sum.
    auto days = *engine_->ReadRollups(Scope(), power_, kDay, kT0 - 86'400'000, kT0 + 86'400'000);
    std::int64_t count = 0;
    double sum = 0;
    for (const auto& r : days) {
        count += r.count;
        sum += r.sum;
    }
    EXPECT_EQ(count, 21);
    EXPECT_DOUBLE_EQ(sum, 190.0 - 5.0 + 500.0 + 7.0);
    Reopen();
    EXPECT_EQ(All(power_).size(), 21u);
}

TEST_F(EngineTest, BadBatchesAreRefusedWholeWithAReason) {
    auto expect_refused = [&](std::vector<SeriesSample> batch, Errc code, const char* words) {
        auto status = engine_->Write(Scope(), batch);
        ASSERT_FALSE(status);
        EXPECT_EQ(status.error().code, code);
        EXPECT_NE(status.error().message.find(words), std::string::npos) << status.error().message;
    };
    const std::int64_t now = ToMillis(clock_.Now());
    expect_refused({{power_, kT0, 1}, {power_, kT0 + 1, std::nan("")}}, Errc::kInvalidArgument, "finite");
    expect_refused({{power_, kT0, 1}, {power_, kT0 + 1, INFINITY}}, Errc::kInvalidArgument, "finite");
    expect_refused({{power_, 946'684'799'999, 1}}, Errc::kInvalidArgument, "before 2000");
    expect_refused({{power_, now + 86'400'001, 1}}, Errc::kInvalidArgument, "future");
    expect_refused({{power_, kT0, 1}, {SeriesId{424242}, kT0, 1}}, Errc::kNotFound, "series 424242");
    EXPECT_TRUE(All(power_).empty());  // nothing of any refused batch was stored
    EXPECT_TRUE(engine_->Write(Scope(), Batch{{power_, now + 86'400'000, 1}}));  // a day ahead is still fine
}

TEST_F(EngineTest, ScopesKeepTenantsApartAndViewersReadOnly) {
    ASSERT_TRUE(engine_->Write(Scope(), Minutes(power_, 3, [](int) { return 1.0; })));
    const auto foreign = Access::ForOperator(other_.id);
    EXPECT_EQ(engine_->Write(foreign, Batch{{power_, kT0 + 10 * kMinute, 9}}).error().code, Errc::kNotFound);
    EXPECT_EQ(engine_->Latest(foreign, power_).error().code, Errc::kNotFound);
    EXPECT_EQ(engine_->ReadRaw(foreign, power_, 0, kT0 * 2).error().code, Errc::kNotFound);
    EXPECT_EQ(engine_->ReadRollups(foreign, power_, kDay, 0, kT0 * 2).error().code, Errc::kNotFound);
    EXPECT_EQ(All(power_).size(), 3u);

    auto viewer = *store_->users().CreateUser({"v@v.v", "", "h", false});
    ASSERT_TRUE(store_->users().SetMember(tenant_.id, viewer.id, Role::kViewer));
    auto viewer_scope = *Access(store_->repositories()).ForUser(viewer.id, tenant_.id);
    EXPECT_EQ(engine_->Write(viewer_scope, Batch{{power_, kT0 + 10 * kMinute, 9}}).error().code,
              Errc::kPermissionDenied);
    EXPECT_EQ(engine_->ReadRaw(viewer_scope, power_, 0, kT0 * 2)->size(), 3u);
}

TEST_F(EngineTest, AFullQueueRefusesInsteadOfGrowing) {
    engine_.reset();
    EngineOptions options;
    options.log_dir = dir_.File("m.db-log");
    options.sync = false;
    options.max_queue_samples = 1000;
    engine_ = *LocalEngine::Open(store_->chunks(), clock_, options);
    auto status = engine_->Write(Scope(), Minutes(power_, 1001, [](int) { return 1.0; }));
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, Errc::kResourceExhausted);
    EXPECT_TRUE(engine_->Write(Scope(), Minutes(power_, 1000, [](int) { return 1.0; })));
}

TEST_F(EngineTest, CounterIncreaseCarriesAcrossARestart) {
    // 10 kWh at 12:00, then meterhub restarts, then 10.5 kWh: the half kWh between them must count.
    ASSERT_TRUE(engine_->Write(Scope(), Batch{{energy_, kT0, 10.0}}));
    Reopen();
    ASSERT_TRUE(engine_->Write(Scope(), Batch{{energy_, kT0 + kMinute, 10.5}}));
    ASSERT_TRUE(engine_->Checkpoint());
    double increase = 0;
    for (const auto& r : *engine_->ReadRollups(Scope(), energy_, kDay, kT0 - 86'400'000, kT0 + 86'400'000)) {
        increase += r.increase;
    }
    EXPECT_DOUBLE_EQ(increase, 0.5);
}

TEST_F(EngineTest, ConcurrentWritersAreGroupCommitted) {
    constexpr int kThreads = 4;
    constexpr int kBatches = 50;
    std::vector<SeriesId> series;
    for (int t = 0; t < kThreads; ++t) {
        series.push_back(
            store_->devices().EnsureSeries(Scope(), {device_.id, "s" + std::to_string(t), "W", SeriesKind::kGauge})->id);
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int b = 0; b < kBatches; ++b) {
                ASSERT_TRUE(engine_->Write(Scope(), Batch{{series[t], kT0 + b * kMinute, static_cast<double>(b)}}));
            }
        });
    }
    for (auto& thread : threads) thread.join();
    for (SeriesId s : series) EXPECT_EQ(All(s).size(), static_cast<std::size_t>(kBatches));
    const auto stats = engine_->stats();
    EXPECT_EQ(stats.batches_written, kThreads * kBatches);
    EXPECT_LE(stats.log_appends, stats.batches_written);
}

TEST_F(EngineTest, TheCommitListenerHearsOfDurableBatchesWithTheirTenant) {
    const auto other_scope = Access::ForOperator(other_.id);
    const auto other_device = *store_->devices().CreateDevice(other_scope, {"inv2", "generic", "", "", ""});
    const SeriesId other_power =
        store_->devices().EnsureSeries(other_scope, {other_device.id, "power", "W", SeriesKind::kGauge})->id;
    std::mutex mutex;
    std::vector<std::pair<TenantId, Batch>> heard;
    engine_->SetCommitListener([&](TenantId tenant, std::span<const SeriesSample> samples) {
        std::lock_guard lock(mutex);
        heard.emplace_back(tenant, Batch(samples.begin(), samples.end()));
    });
    const auto heard_count = [&] {
        std::lock_guard lock(mutex);
        return heard.size();
    };

    const Batch mine = Minutes(power_, 3, [](int i) { return i + 0.25; });
    ASSERT_TRUE(engine_->Write(Scope(), mine));
    ASSERT_EQ(heard_count(), 1u);  // before Write returned
    EXPECT_EQ(heard[0].first, tenant_.id);
    EXPECT_EQ(heard[0].second, mine);

    const Batch theirs{{other_power, kT0, 42.0}};
    std::promise<std::size_t> heard_before_done;
    engine_->WriteAsync(other_scope, theirs, [&](Status status) {
        EXPECT_TRUE(status);
        heard_before_done.set_value(heard_count());
    });
    EXPECT_EQ(heard_before_done.get_future().get(), 2u);
    EXPECT_EQ(heard[1].first, other_.id);
    EXPECT_EQ(heard[1].second, theirs);

    // Refused batches are not heard of: a bad value, a foreign series, an empty batch.
    EXPECT_FALSE(engine_->Write(Scope(), Batch{{power_, kT0 + 10 * kMinute, std::nan("")}}));
    EXPECT_FALSE(engine_->Write(other_scope, Batch{{power_, kT0 + 10 * kMinute, 1.0}}));
    EXPECT_TRUE(engine_->Write(Scope(), Batch{}));
    EXPECT_EQ(heard_count(), 2u);
}

// The writer's error path (docs/design.md, "Write path"): a group whose fdatasync fails is not acknowledged,
// applied or announced, and the engine refuses every later write until it is reopened.
TEST_F(EngineTest, AFailedLogSyncIsNotAcknowledgedAndLaterWritesAreRefusedUntilReopened) {
    FaultLogEnv env;
    engine_.reset();
    Open(/*checkpoint_on_close=*/true, &env);
    std::atomic<int> heard{0};
    engine_->SetCommitListener([&](TenantId, std::span<const SeriesSample>) { ++heard; });

    const Batch acknowledged = Minutes(power_, 3, [](int i) { return i + 1.0; });
    ASSERT_TRUE(engine_->Write(Scope(), acknowledged));
    EXPECT_TRUE(engine_->Health());

    env.fail_fdatasync = 1;
    const Status failed = engine_->Write(Scope(), Minutes(
                                                      power_, 3, [](int) { return 99.0; }, kT0 + 10 * kMinute));
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, Errc::kUnavailable);
    EXPECT_NE(failed.error().message.find("fdatasync"), std::string::npos) << failed.error().message;
    // Nothing of the failed group is reported: not readable, not announced, not counted.
    EXPECT_EQ(All(power_).size(), acknowledged.size());
    EXPECT_EQ(heard.load(), 1);
    EXPECT_EQ(engine_->stats().samples_written, static_cast<std::int64_t>(acknowledged.size()));

    // The disk works again, yet writes stay refused: no retry over pages the kernel may have dropped.
    ASSERT_FALSE(engine_->Health());
    EXPECT_EQ(engine_->Health().error().code, Errc::kUnavailable);
    const int syncs = env.fdatasyncs.load();
    const Batch later = Minutes(
        power_, 2, [](int) { return 5.0; }, kT0 + 20 * kMinute);
    const Status refused = engine_->Write(Scope(), later);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::kUnavailable);
    EXPECT_EQ(env.fdatasyncs.load(), syncs);
    std::promise<Status> async_refused;
    engine_->WriteAsync(Scope(), later, [&](Status status) { async_refused.set_value(std::move(status)); });
    EXPECT_EQ(async_refused.get_future().get().error().code, Errc::kUnavailable);
    // Reads go on, and a checkpoint says why it cannot run instead of waiting for one that never comes.
    EXPECT_EQ((*engine_->Latest(Scope(), power_))->value, 3.0);
    const Status checkpoint = engine_->Checkpoint();
    ASSERT_FALSE(checkpoint);
    EXPECT_EQ(checkpoint.error().code, Errc::kUnavailable);
    EXPECT_GE(engine_->stats().checkpoint_failures, 1);

    // Reopened (meterhub restarted): what was acknowledged is back from the log, and writes are accepted.
    engine_.reset();
    Open(/*checkpoint_on_close=*/true, &env);
    EXPECT_TRUE(engine_->Health());
    const std::vector<Sample> replayed = All(power_);
    ASSERT_EQ(replayed.size(), acknowledged.size());
    for (std::size_t i = 0; i < replayed.size(); ++i) EXPECT_EQ(replayed[i].value, acknowledged[i].value);
    ASSERT_TRUE(engine_->Write(Scope(), later));
    EXPECT_EQ(All(power_).size(), acknowledged.size() + later.size());
    engine_.reset();  // while `env` still lives
}

}  // namespace
}  // namespace mh::tsdb
