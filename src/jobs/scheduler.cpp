#include "jobs/scheduler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace mh::jobs {

struct Scheduler::Job {
    JobSpec spec;
    std::string lease_name;
    Timestamp due;
    Timestamp started;
    Timestamp renewed;
    bool running = false;
    bool removed = false;  // while running: Finish() drops it
    JobStats stats;
};

Scheduler::Scheduler(store::LeaseRepository& leases, const Clock& clock, Executor& executor, std::string holder)
    : leases_(leases), clock_(clock), executor_(executor), holder_(std::move(holder)) {}

Scheduler::~Scheduler() {
    Stop();
}

void Scheduler::Add(JobSpec spec) {
    auto job = std::make_unique<Job>();
    job->lease_name = "job/" + spec.name;
    job->due = clock_.Now();
    job->stats.name = spec.name;
    job->spec = std::move(spec);
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
    }
    wake_.notify_all();
}

bool Scheduler::Remove(const std::string& name) {
    std::unique_lock lock(mutex_);
    const auto it = std::find_if(jobs_.begin(), jobs_.end(), [&](const auto& job) { return job->spec.name == name; });
    if (it == jobs_.end()) return false;
    Job* job = it->get();
    if (!job->running) {
        if (job->spec.leased) (void)leases_.Release(job->lease_name, holder_);
        jobs_.erase(it);
        return true;
    }
    job->removed = true;  // Finish() drops it
    idle_.wait(lock, [&] { return std::none_of(jobs_.begin(), jobs_.end(), [&](const auto& j) { return j.get() == job; }); });
    return true;
}

void Scheduler::RunDue() {
    const Timestamp now = clock_.Now();
    std::vector<Job*> to_start;
    {
        std::lock_guard lock(mutex_);
        for (auto& job : jobs_) {
            if (job->running) {
                if (job->spec.leased && now - job->renewed >= job->spec.lease / 3) {
                    auto kept = leases_.Acquire(job->lease_name, holder_, now, now + job->spec.lease);
                    if (kept && *kept) {
                        job->renewed = now;
                    } else {
                        spdlog::warn("scheduler: lost the lease of running job '{}'{}", job->spec.name,
                                     kept ? "" : ": " + kept.error().message);
                    }
                }
                continue;
            }
            if (now < job->due || stopping_ || job->removed) continue;
            if (job->spec.leased) {
                auto taken = leases_.Acquire(job->lease_name, holder_, now, now + job->spec.lease);
                if (!taken) {
                    spdlog::warn("scheduler: job '{}': {}", job->spec.name, taken.error().message);
                    job->due = now + std::min<Millis>(job->spec.interval, std::chrono::seconds(10));
                    continue;
                }
                if (!*taken) {
                    // Another instance has it; look again when its lease could have run out.
                    ++job->stats.skipped;
                    auto held = leases_.Find(job->lease_name);
                    job->due = held && *held ? std::max((*held)->expires_at, now + Millis(1)) : now + job->spec.lease;
                    continue;
                }
            }
            job->running = true;
            job->stats.running = true;
            job->started = now;
            job->renewed = now;
            to_start.push_back(job.get());
        }
    }
    for (Job* job : to_start) {
        executor_.Post([this, job] { Finish(*job, job->spec.run()); });
    }
}

void Scheduler::Finish(Job& job, Status status) {
    if (!status) spdlog::warn("scheduler: job '{}' failed: {}", job.spec.name, status.error().message);
    const Timestamp next = job.started + job.spec.interval;
    if (job.spec.leased) {
        std::lock_guard lock(mutex_);
        if (stopping_ || job.removed) {
            (void)leases_.Release(job.lease_name, holder_);  // let another instance go on at once
        } else if (next > clock_.Now()) {
            // Keep the lease until the next run is due: no other instance runs the job before then.
            (void)leases_.Acquire(job.lease_name, holder_, clock_.Now(), next);
        }
    }
    {
        std::lock_guard lock(mutex_);
        ++job.stats.runs;
        if (!status) ++job.stats.failures;
        job.running = false;
        job.stats.running = false;
        job.due = next;
        if (job.removed) std::erase_if(jobs_, [&job](const auto& j) { return j.get() == &job; });
    }
    wake_.notify_all();
    idle_.notify_all();
}

Timestamp Scheduler::NextWake() const {
    std::lock_guard lock(mutex_);
    Timestamp next = clock_.Now() + std::chrono::hours(1);
    for (const auto& job : jobs_) {
        const Timestamp at = job->running ? job->renewed + job->spec.lease / 3 : job->due;
        next = std::min(next, at);
    }
    return next;
}

void Scheduler::Start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { Loop(); });
}

void Scheduler::Loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        RunDue();
        const auto wait = NextWake() - clock_.Now();
        lock.lock();
        // Capped, so that a clock set forward (tests, a corrected system clock) is noticed soon.
        wake_.wait_for(lock, std::clamp<Millis>(std::chrono::duration_cast<Millis>(wait), Millis(1),
                                               Millis(std::chrono::seconds(1))),
                       [this] { return stopping_; });
    }
}

void Scheduler::Stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] {
        return std::none_of(jobs_.begin(), jobs_.end(), [](const auto& job) { return job->running; });
    });
}

std::vector<JobStats> Scheduler::stats() const {
    std::lock_guard lock(mutex_);
    std::vector<JobStats> out;
    for (const auto& job : jobs_) out.push_back(job->stats);
    return out;
}

}  // namespace mh::jobs
