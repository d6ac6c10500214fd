// Scheduler: runs periodic jobs (retention purge, pollers, cloud syncs, the FabLab orphan-use closer) so that
// several instances on one database run each job once per interval between them.
//
// A leased job runs under the store lease "job/<name>". When a job is due, the instance that takes the lease runs
// it on the executor; while it runs, the scheduler renews the lease every third of `lease`; when it finishes, the
// lease is extended to the job's next due time, so no other instance runs it again before then. An instance that
// dies stops renewing, and after the lease runs out another takes the job over. A local job (leased = false) runs
// on every instance (renewing this instance's own leases, for one).
//
// Time is the injected Clock's. RunDue() is one pass (tests drive it with a FakeClock and an InlineExecutor);
// Start() runs passes on a thread of its own, waking when the next job is due or when Stop() is called.
// A job is never run twice at once on one instance: a pass skips a job still running. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/executor.hpp"
#include "core/result.hpp"
#include "store/lease_repository.hpp"

namespace mh::jobs {

struct JobSpec {
    std::string name;  // unique; the lease is "job/<name>"
    std::chrono::milliseconds interval{60'000};
    std::chrono::milliseconds lease{60'000};  // how long a dead holder keeps others waiting
    bool leased = true;
    std::function<Status()> run;  // a failure is logged; the job runs again at its next due time
};

struct JobStats {
    std::string name;
    std::uint64_t runs = 0;      // by this instance
    std::uint64_t failures = 0;  // runs that returned an error
    std::uint64_t skipped = 0;   // due, but another instance held the lease
    bool running = false;
};

class Scheduler {
  public:
    Scheduler(store::LeaseRepository& leases, const Clock& clock, Executor& executor, std::string holder);
    ~Scheduler();  // Stop()
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // At any time; the name must not be taken. The first run is due at once (the lease decides who takes it).
    void Add(JobSpec job);
    // The job runs no more: returns once a run in progress has finished (and given its lease up), so that what
    // the job uses may go after it. False when no job has the name. Not from the job's own run.
    bool Remove(const std::string& name);

    // One pass: starts the due jobs whose lease this instance gets and renews the leases of running ones.
    void RunDue();
    // When the next pass is needed.
    Timestamp NextWake() const;

    void Start();
    // Stops the thread; running jobs finish on the executor, and their leases are given up when they do.
    void Stop();

    std::vector<JobStats> stats() const;
    const std::string& holder() const { return holder_; }

  private:
    struct Job;
    void Begin(Job& job, Timestamp now);
    void Finish(Job& job, Status status);
    void Loop();

    store::LeaseRepository& leases_;
    const Clock& clock_;
    Executor& executor_;
    const std::string holder_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::vector<std::unique_ptr<Job>> jobs_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace mh::jobs
