// Runtime: what a command needs, opened from the configuration: clock, ids, store and the engine (the embedded
// SQLite file with a LocalEngine, or PostgreSQL with a SharedEngine when storage.url is set); and for the
// long-running commands (serve) the process's threads: one IoContext for every socket and timer, one worker pool
// for short tasks (HTTP handlers, collector commits), a pool for scheduled jobs, which may take long (a purge, a
// poll, a cloud sync), and the Scheduler that runs them under leases. The Runtime is the only owner of threads;
// the servers, collectors and hubs it is given to have none of their own.
#pragma once

#include <memory>
#include <optional>

#include "cli/config.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/thread_executor.hpp"
#include "jobs/instance_lease.hpp"
#include "jobs/scheduler.hpp"
#include "net/io_context.hpp"
#include "store/database.hpp"
#include "store/sample_journal.hpp"
#include "tsdb/engine.hpp"

namespace mh::cli {

struct Runtime {
    Config config;
    const Clock& clock = SystemClock::Instance();
    std::unique_ptr<IdGenerator> ids;
    std::unique_ptr<store::Database> store;
    // On PostgreSQL, where acknowledged samples wait for compaction (the engine is then a SharedEngine).
    std::unique_ptr<store::SampleJournal> journal;
    // This process's instance number (the node of generated ids), leased in the store; none when read-only.
    std::unique_ptr<jobs::InstanceLease> instance;
    std::unique_ptr<tsdb::Engine> engine;
    // From StartThreads(); declared after what their tasks use, so they stop first.
    std::unique_ptr<net::IoContext> io;
    std::unique_ptr<ThreadExecutor> workers;
    std::unique_ptr<ThreadExecutor> job_workers;
    std::unique_ptr<jobs::Scheduler> scheduler;  // started by StartJobs(), once every job is added

    // Opens the store (migrating it unless read-only) and, unless read-only, leases an instance number.
    static Result<std::unique_ptr<Runtime>> Open(Config config, bool read_only);
    // Opens the engine: for writing (serve, sim) or read-only beside a running server (queries, export).
    Status OpenEngine(bool read_only);
    // Creates the threads: `io_threads` and `worker_threads` 0 mean one per core. Needs the instance lease.
    void StartThreads(std::size_t io_threads, std::size_t worker_threads);
    // Stops the scheduler (running jobs finish), then the worker pools and the I/O threads. Stop every server first.
    void StopThreads();
    // On PostgreSQL, the leased job that compacts the journal into chunks (none on SQLite); after OpenEngine.
    std::optional<jobs::JobSpec> CompactionJob();
    // The tenant named `name`, as the operator's scope.
    Result<store::Tenant> Tenant(std::string_view name);
};

// How long an instance number stays leased without renewal; serve renews it every third of this.
inline constexpr std::chrono::seconds kInstanceLeaseLength{60};
// Scheduled jobs run at most this many at once (the rest wait for their turn).
inline constexpr std::size_t kJobThreads = 2;

tsdb::EngineOptions EngineOptionsFrom(const Config& config, bool read_only);

}  // namespace mh::cli
