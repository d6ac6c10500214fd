#include "cli/runtime.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include "store/postgres/open.hpp"
#include "store/postgres/sample_journal.hpp"
#include "store/sqlite/open.hpp"
#include "tsdb/local_engine.hpp"
#include "tsdb/shared_engine.hpp"

namespace mh::cli {
namespace {

constexpr std::int64_t kCompactionMarginMs = 60'000;

}  // namespace

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
    const store::StorageConfig& storage = runtime->config.storage;
    if (storage.url.empty()) {
        store::sqlite::OpenOptions options;
        options.read_only = read_only;
        MH_ASSIGN_OR_RETURN(runtime->store, store::sqlite::Open(storage.path, runtime->clock, *runtime->ids, options));
    } else {
        store::postgres::OpenOptions options;
        options.read_only = read_only;
        options.max_connections = static_cast<int>(storage.max_connections);
        MH_ASSIGN_OR_RETURN(auto database, store::postgres::Open(storage.url, runtime->clock, *runtime->ids, options));
        // Commits are announced to the other instances under this process's name (their live dashboards).
        std::string origin = jobs::ProcessHolderName();
        std::replace_if(origin.begin(), origin.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)) && c != '-'; }, '_');
        runtime->journal =
            std::make_unique<store::postgres::PostgresJournal>(database->pool(), read_only ? "" : origin);
        runtime->store = std::move(database);
    }
    if (!read_only) {
        MH_ASSIGN_OR_RETURN(runtime->instance,
                            jobs::InstanceLease::Acquire(runtime->store->leases(), runtime->clock,
                                                         jobs::ProcessHolderName(), kInstanceLeaseLength));
        runtime->ids->SetNode(runtime->instance->number());
    }
    return runtime;
}

Status Runtime::OpenEngine(bool read_only) {
    if (journal) {
        MH_ASSIGN_OR_RETURN(engine, tsdb::SharedEngine::Open(store->chunks(), *journal, clock,
                                                             EngineOptionsFrom(config, read_only)));
    } else {
        MH_ASSIGN_OR_RETURN(engine,
                            tsdb::LocalEngine::Open(store->chunks(), clock, EngineOptionsFrom(config, read_only)));
    }
    return Ok();
}

std::optional<jobs::JobSpec> Runtime::CompactionJob() {
    auto* shared = dynamic_cast<tsdb::SharedEngine*>(engine.get());
    if (shared == nullptr) return std::nullopt;
    const auto interval = std::chrono::seconds(config.tsdb.checkpoint_interval_s);
    return jobs::JobSpec{"tsdb-compact", interval, interval * 4, true, [this, shared]() -> Status {
                             // A minute's margin: samples a little late still arrive in order.
                             const std::int64_t before = ToMillis(clock.Now()) - kCompactionMarginMs;
                             MH_ASSIGN_OR_RETURN(auto done, shared->Compact(before));
                             if (done.samples > 0) {
                                 spdlog::debug("compacted {} samples of {} series", done.samples, done.series);
                             }
                             return Ok();
                         }};
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
