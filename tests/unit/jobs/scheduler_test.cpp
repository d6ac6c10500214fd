// Scheduler and InstanceLease against a real SQLite database shared by two "instances" (two holders with their
// own repositories over one file), on a FakeClock: each job runs once per interval between them, a dead holder's
// job is taken over, and instance numbers never collide.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "core/thread_executor.hpp"
#include "jobs/instance_lease.hpp"
#include "jobs/scheduler.hpp"
#include "store/sqlite/open.hpp"
#include "test_support.hpp"

namespace mh::jobs {
namespace {

using namespace std::chrono_literals;

class JobsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        a_ = std::move(*store::sqlite::Open(dir_.File("m.db"), clock_, ids_));
        b_ = std::move(*store::sqlite::Open(dir_.File("m.db"), clock_, ids_));  // a second process's view
    }

    JobSpec Counting(std::atomic<int>& runs, Millis interval = 10min) {
        return JobSpec{"purge", interval, 1min, true, [&runs] {
                           ++runs;
                           return Ok();
                       }};
    }

    testing::TempDir dir_;
    FakeClock clock_{FromMillis(1'790'000'000'000)};
    IdGenerator ids_{clock_, 1};
    InlineExecutor inline_;
    std::unique_ptr<store::sql::SqlDatabase> a_, b_;
};

TEST_F(JobsTest, TwoInstancesRunAJobOncePerInterval) {
    std::atomic<int> runs_a{0}, runs_b{0};
    Scheduler a(a_->leases(), clock_, inline_, "a");
    Scheduler b(b_->leases(), clock_, inline_, "b");
    a.Add(Counting(runs_a));
    b.Add(Counting(runs_b));
    for (int minute = 0; minute < 60; ++minute) {  // an hour, both looking every minute (and b first half the time)
        if (minute % 2 == 0) {
            a.RunDue();
            b.RunDue();
        } else {
            b.RunDue();
            a.RunDue();
        }
        clock_.Advance(1min);
    }
    EXPECT_EQ(runs_a + runs_b, 6);  // every ten minutes, by one of them
    EXPECT_EQ(runs_a, 6);           // the first to take it keeps it while alive
    EXPECT_GT(b.stats().front().skipped, 0u);
}

TEST_F(JobsTest, ADeadHoldersJobIsTakenOverAfterItsLease) {
    std::atomic<int> runs_a{0}, runs_b{0};
    auto a = std::make_unique<Scheduler>(a_->leases(), clock_, inline_, "a");
    Scheduler b(b_->leases(), clock_, inline_, "b");
    a->Add(Counting(runs_a));
    b.Add(Counting(runs_b));
    a->RunDue();
    b.RunDue();
    ASSERT_EQ(runs_a, 1);
    a.reset();  // dies without a word: destroyed after its run, its lease held until the next due time
    clock_.Advance(9min);
    b.RunDue();
    EXPECT_EQ(runs_b, 0);  // a's lease still runs
    clock_.Advance(1min);
    b.RunDue();
    EXPECT_EQ(runs_b, 1);
}

TEST_F(JobsTest, ALongJobKeepsItsLeaseWhileItRunsAndAFailureIsCounted) {
    ThreadExecutor pool(1, "test");
    std::mutex mutex;
    std::condition_variable cv;
    bool release = false;
    std::atomic<bool> started{false};
    Scheduler a(a_->leases(), clock_, pool, "a");
    a.Add(JobSpec{"sync", 10min, 1min, true, [&]() -> Status {
                      started = true;
                      std::unique_lock lock(mutex);
                      cv.wait(lock, [&] { return release; });
                      return MakeError(Errc::kUnavailable, "the cloud is down");
                  }});
    a.RunDue();
    ASSERT_TRUE(testing::WaitFor([&] { return started.load(); }));
    for (int i = 0; i < 5; ++i) {  // five minutes of running: renewed every 20 s, so b never gets it
        clock_.Advance(20s);
        a.RunDue();
        EXPECT_FALSE(*b_->leases().Acquire("job/sync", "b", clock_.Now(), clock_.Now() + 1min));
    }
    {
        std::lock_guard lock(mutex);
        release = true;
    }
    cv.notify_all();
    ASSERT_TRUE(testing::WaitFor([&] { return a.stats().front().runs == 1; }));
    EXPECT_EQ(a.stats().front().failures, 1u);
}

TEST_F(JobsTest, LocalJobsRunOnEveryInstance) {
    std::atomic<int> runs_a{0}, runs_b{0};
    Scheduler a(a_->leases(), clock_, inline_, "a");
    Scheduler b(b_->leases(), clock_, inline_, "b");
    a.Add(JobSpec{"renew", 20s, 1min, false, [&] { return ++runs_a, Ok(); }});
    b.Add(JobSpec{"renew", 20s, 1min, false, [&] { return ++runs_b, Ok(); }});
    for (int i = 0; i < 3; ++i) {
        a.RunDue();
        b.RunDue();
        clock_.Advance(20s);
    }
    EXPECT_EQ(runs_a, 3);
    EXPECT_EQ(runs_b, 3);
}

TEST_F(JobsTest, InstancesGetDistinctNumbersAndAStalledOneMovesOn) {
    auto first = *InstanceLease::Acquire(a_->leases(), clock_, "a", 60s);
    auto second = *InstanceLease::Acquire(b_->leases(), clock_, "b", 60s);
    EXPECT_EQ(first->number(), 0u);
    EXPECT_EQ(second->number(), 1u);
    clock_.Advance(30s);
    EXPECT_EQ(*first->Renew(), 0u);
    clock_.Advance(50s);  // b stalled past its lease; a newcomer takes number 1
    auto third = *InstanceLease::Acquire(a_->leases(), clock_, "c", 60s);
    EXPECT_EQ(third->number(), 1u);
    EXPECT_EQ(*second->Renew(), 2u);  // b notices and moves to a free number
    std::set<std::uint32_t> numbers{first->number(), second->number(), third->number()};
    EXPECT_EQ(numbers.size(), 3u);
    second.reset();  // a clean exit gives the number back at once
    auto fourth = *InstanceLease::Acquire(b_->leases(), clock_, "d", 60s);
    EXPECT_EQ(fourth->number(), 2u);
}

TEST_F(JobsTest, TheSchedulerThreadRunsJobsAndStops) {
    ThreadExecutor pool(2, "test");
    std::atomic<int> runs{0};
    Scheduler a(a_->leases(), clock_, pool, "a");
    a.Add(Counting(runs, 10min));
    a.Start();
    ASSERT_TRUE(testing::WaitFor([&] { return runs.load() == 1; }));
    clock_.Advance(10min);
    ASSERT_TRUE(testing::WaitFor([&] { return runs.load() == 2; }));
    a.Stop();
    EXPECT_FALSE(a.stats().front().running);
    clock_.Advance(10min);  // due again, but stopped: nothing runs
    a.RunDue();
    EXPECT_EQ(runs.load(), 2);
}

TEST_F(JobsTest, AJobAddedWhileRunningIsDueAtOnceAndARemovedOneNeverRunsAgain) {
    std::atomic<int> runs_a{0}, runs_b{0};
    Scheduler a(a_->leases(), clock_, inline_, "a");
    Scheduler b(b_->leases(), clock_, inline_, "b");
    a.Add(Counting(runs_a));
    b.Add(Counting(runs_b));
    a.RunDue();
    ASSERT_EQ(runs_a, 1);
    ASSERT_TRUE(a.Remove("purge"));
    EXPECT_FALSE(a.Remove("purge"));
    EXPECT_TRUE(a.stats().empty());
    b.RunDue();
    EXPECT_EQ(runs_b, 1);  // a gave its lease up on removal: b need not wait for its next due time
    clock_.Advance(5min);
    a.RunDue();
    EXPECT_EQ(runs_a, 1);
    a.Add(Counting(runs_a));  // a device registered again
    a.RunDue();
    EXPECT_EQ(runs_a, 1);  // due at once, but b holds the lease until its next run
    EXPECT_EQ(a.stats().front().skipped, 1u);
    clock_.Advance(5min);
    a.RunDue();
    EXPECT_EQ(runs_a, 2);
}

TEST_F(JobsTest, RemoveWaitsForTheRunInProgress) {
    ThreadExecutor pool(1, "test");
    std::mutex mutex;
    std::condition_variable cv;
    bool release = false;
    std::atomic<bool> started{false}, finished{false};
    Scheduler a(a_->leases(), clock_, pool, "a");
    a.Add(JobSpec{"poll", 1min, 1min, true, [&]() -> Status {
                      started = true;
                      std::unique_lock lock(mutex);
                      cv.wait(lock, [&] { return release; });
                      finished = true;
                      return Ok();
                  }});
    a.RunDue();
    ASSERT_TRUE(testing::WaitFor([&] { return started.load(); }));
    std::thread releaser([&] {
        std::lock_guard lock(mutex);
        release = true;
        cv.notify_all();
    });
    EXPECT_TRUE(a.Remove("poll"));
    EXPECT_TRUE(finished.load());  // Remove returned only after the run
    releaser.join();
    EXPECT_TRUE(a.stats().empty());
    EXPECT_TRUE(*b_->leases().Acquire("job/poll", "b", clock_.Now(), clock_.Now() + 1min));  // given up
}

}  // namespace
}  // namespace mh::jobs
