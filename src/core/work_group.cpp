#include "core/work_group.hpp"

namespace mh {

void WorkGroup::Post(std::function<void(bool run)> task) {
    bool closed = false;
    {
        std::lock_guard lock(mutex_);
        closed = closed_;
        if (!closed) ++outstanding_;
    }
    if (closed) return task(false);
    executor_.Post([this, task = std::move(task)]() mutable {
        {
            // Moved out, so that its captures are released before Done(): after Done() the group may be gone.
            auto local = std::move(task);
            bool run = false;
            {
                std::lock_guard lock(mutex_);
                run = !closed_;
            }
            local(run);
        }
        Done();
    });
}

void WorkGroup::Done() {
    std::lock_guard lock(mutex_);
    // Notified under the lock: a waiter cannot return, and the group die, before this call is over.
    if (--outstanding_ == 0) idle_.notify_all();
}

void WorkGroup::Wait() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return outstanding_ == 0; });
}

void WorkGroup::CloseAndWait() {
    std::unique_lock lock(mutex_);
    closed_ = true;
    idle_.wait(lock, [this] { return outstanding_ == 0; });
}

std::size_t WorkGroup::outstanding() const {
    std::lock_guard lock(mutex_);
    return outstanding_;
}

}  // namespace mh
