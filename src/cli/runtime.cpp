#include "cli/runtime.hpp"

#include <algorithm>
#include <thread>

#include "store/sqlite/open.hpp"

namespace mh::cli {

tsdb::EngineOptions EngineOptionsFrom(const Config& config, bool read_only) {
    tsdb::EngineOptions o;
    o.log_dir = config.storage.path + "-log";
    o.read_only = read_only;
    o.sync = config.tsdb.sync;
    o.checkpoint_interval_ms = config.tsdb.checkpoint_interval_s * 1000;
    o.checkpoint_log_bytes = config.tsdb.checkpoint_log_mb << 20;
    o.max_queue_samples = config.tsdb.max_queue_samples;
    o.chunk_samples = config.tsdb.chunk_samples;
    o.gap_cap_ms = config.tsdb.gap_cap_s * 1000;
    o.max_future_ms = config.tsdb.max_future_s * 1000;
    return o;
}

Result<std::unique_ptr<Runtime>> Runtime::Open(Config config, bool read_only) {
    auto runtime = std::make_unique<Runtime>();
    runtime->config = std::move(config);
    // The node number is leased below, once the store is open: the migrations make no ids.
    runtime->ids = std::make_unique<IdGenerator>(runtime->clock, 0);
    store::sqlite::OpenOptions options;
    options.read_only = read_only;
    MH_ASSIGN_OR_RETURN(runtime->store, store::sqlite::Open(runtime->config.storage.path, runtime->clock,
                                                                         *runtime->ids, options));
    if (!read_only) {
        MH_ASSIGN_OR_RETURN(runtime->instance,
                            jobs::InstanceLease::Acquire(runtime->store->leases(), runtime->clock,
                                                         jobs::ProcessHolderName(), kInstanceLeaseLength));
        runtime->ids->SetNode(runtime->instance->number());
    }
    return runtime;
}

Status Runtime::OpenEngine(bool read_only) {
    MH_ASSIGN_OR_RETURN(engine, tsdb::Engine::Open(store->chunks(), clock, EngineOptionsFrom(config, read_only)));
    return Ok();
}

void Runtime::StartThreads(std::size_t io_threads, std::size_t worker_threads) {
    const std::size_t cores = std::max(1U, std::thread::hardware_concurrency());
    io = std::make_unique<net::IoContext>(io_threads == 0 ? cores : io_threads, "io");
    workers = std::make_unique<ThreadExecutor>(worker_threads == 0 ? cores : worker_threads, "workers");
    job_workers = std::make_unique<ThreadExecutor>(kJobThreads, "jobs");
    scheduler = std::make_unique<jobs::Scheduler>(store->leases(), clock, *job_workers, instance->holder());
    // This instance's own number is renewed by a local job (every instance renews its own).
    scheduler->Add(jobs::JobSpec{"instance-lease", kInstanceLeaseLength / 3, kInstanceLeaseLength, false,
                                 [this]() -> Status {
                                     MH_ASSIGN_OR_RETURN(std::uint32_t number, instance->Renew());
                                     ids->SetNode(number);
                                     return Ok();
                                 }});
}

void Runtime::StopThreads() {
    if (scheduler) scheduler->Stop();
    scheduler.reset();
    job_workers.reset();  // runs what was posted, then joins
    workers.reset();
    if (io) io->Stop();  // kept until the Runtime goes: stopped servers still point at it
}

Result<store::Tenant> Runtime::Tenant(std::string_view name) {
    return store->tenants().FindTenant(name);
}

}  // namespace mh::cli
