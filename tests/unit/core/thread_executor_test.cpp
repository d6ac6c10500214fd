#include "core/thread_executor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

namespace mh {
namespace {

TEST(ThreadExecutorTest, RunsEveryTaskOffThePostersThreadAndDrainsOnDestruction) {
    std::atomic<int> done{0};
    std::mutex mutex;
    std::set<std::thread::id> threads;
    {
        ThreadExecutor pool(3, "test");
        for (int i = 0; i < 1000; ++i) {
            pool.Post([&] {
                {
                    std::lock_guard lock(mutex);
                    threads.insert(std::this_thread::get_id());
                }
                ++done;
            });
        }
    }  // the destructor runs what is queued, then joins
    EXPECT_EQ(done.load(), 1000);
    EXPECT_FALSE(threads.contains(std::this_thread::get_id()));
    EXPECT_LE(threads.size(), 3u);
}

TEST(ThreadExecutorTest, ATaskThatThrowsDoesNotStopThePool) {
    std::atomic<int> done{0};
    {
        ThreadExecutor pool(1, "test");
        pool.Post([] { throw std::runtime_error("a bug"); });
        pool.Post([&] { ++done; });
    }
    EXPECT_EQ(done.load(), 1);
}

}  // namespace
}  // namespace mh
