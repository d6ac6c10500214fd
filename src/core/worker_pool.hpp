// WorkerPool: a fixed set of threads running posted tasks in order of posting: the Runtime's worker pool, where
// handlers that may block (store calls, outbound HTTP, MQTT message handlers, scheduled jobs) run, never on an
// I/O thread. The queue itself is unbounded: posters bound what they post (core/executor.hpp).
//
// Thread-safe. The destructor finishes the queued tasks, then joins the threads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/executor.hpp"

namespace mh {

class WorkerPool final : public Executor {
  public:
    explicit WorkerPool(std::size_t threads);
    ~WorkerPool() override;
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void Post(std::function<void()> task) override;
    std::size_t threads() const { return threads_.size(); }
    std::size_t queued() const;

  private:
    void Run();

    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace mh
