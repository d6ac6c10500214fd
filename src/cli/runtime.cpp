#include "cli/runtime.hpp"

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

Result<store::Tenant> Runtime::Tenant(std::string_view name) {
    return store->tenants().FindTenant(name);
}

}  // namespace mh::cli
