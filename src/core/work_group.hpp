// WorkGroup: the tasks one component has posted to a shared Executor (the Runtime's worker pool) that have not
// finished yet. The pool outlives the component, so before the component goes (its tasks hold references to it)
// it waits for its group: Wait() lets every queued task run; CloseAndWait() makes the queued ones skip (they are
// called with run = false, to release or fail what they carry) and waits only for those already running.
//
// Thread-safe. Post() after Close is too late: the task is called at once with run = false on the caller's thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>

#include "core/executor.hpp"

namespace mh {

class WorkGroup {
  public:
    explicit WorkGroup(Executor& executor) : executor_(executor) {}
    ~WorkGroup() { CloseAndWait(); }
    WorkGroup(const WorkGroup&) = delete;
    WorkGroup& operator=(const WorkGroup&) = delete;

    // `task(true)` runs on the executor, or `task(false)` once the group is closed.
    void Post(std::function<void(bool run)> task);
    // Returns once every task posted so far has run (tasks posted meanwhile included).
    void Wait();
    // Closes the group and returns once no task of it is running.
    void CloseAndWait();

    std::size_t outstanding() const;

  private:
    void Done();

    Executor& executor_;
    mutable std::mutex mutex_;
    std::condition_variable idle_;
    std::size_t outstanding_ = 0;
    bool closed_ = false;
};

}  // namespace mh
