// ThreadExecutor: an Executor of its own: N threads taking tasks from one FIFO queue. For components that
// need a worker pool before (or apart from) the Runtime's, e.g. MQTT handlers that must run in arrival order
// (one thread), and for tests and benchmarks.
//
// The queue itself is unbounded: bounding is the poster's business (core/executor.hpp). Thread-safe. The
// destructor runs every task already posted, then joins; a task posted after destruction began is destroyed
// without running. Tasks must not throw (an escaping exception is logged and swallowed, so one bad handler
// cannot end the process's other work).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/executor.hpp"

namespace mh {

class ThreadExecutor final : public Executor {
  public:
    // `threads` at least 1; `name` shows in logs when a task throws.
    explicit ThreadExecutor(std::size_t threads, std::string name = "worker");
    ~ThreadExecutor() override;
    ThreadExecutor(const ThreadExecutor&) = delete;
    ThreadExecutor& operator=(const ThreadExecutor&) = delete;

    void Post(std::function<void()> task) override;

  private:
    void Work();

    const std::string name_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace mh
