#include "core/thread_executor.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace mh {

ThreadExecutor::ThreadExecutor(std::size_t threads, std::string name) : name_(std::move(name)) {
    if (threads == 0) threads = 1;
    threads_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

ThreadExecutor::~ThreadExecutor() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
}

void ThreadExecutor::Post(std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;  // destroys the task: its captures release what they hold
        tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
}

void ThreadExecutor::Work() {
    std::unique_lock lock(mutex_);
    while (true) {
        cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;  // stopping, and everything posted before has run
        auto task = std::move(tasks_.front());
        tasks_.pop_front();
        lock.unlock();
        try {
            task();
        } catch (const std::exception& e) {
            spdlog::error("{}: a task threw: {}", name_, e.what());
        } catch (...) {
            spdlog::error("{}: a task threw", name_);
        }
        task = nullptr;  // release its captures outside the lock, before taking the next
        lock.lock();
    }
}

}  // namespace mh
