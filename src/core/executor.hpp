// Executor: somewhere to run short tasks off the calling thread. The Runtime's worker pool is one; tests may
// use InlineExecutor. Post() never blocks and never runs the task on the caller's stack (InlineExecutor aside).
//
// Bounding is the poster's business: a component that may flood an executor counts what it has posted and not
// yet finished, and drops (with a counter) beyond its limit, so that a slow handler never stalls a network loop.
#pragma once

#include <functional>

namespace mh {

class Executor {
  public:
    virtual ~Executor() = default;
    // Thread-safe. The task may run on any of the executor's threads, concurrently with other tasks.
    virtual void Post(std::function<void()> task) = 0;
};

// Runs each task at once on the caller's thread: for tests that want handlers run deterministically.
class InlineExecutor final : public Executor {
  public:
    void Post(std::function<void()> task) override { task(); }
};

}  // namespace mh
