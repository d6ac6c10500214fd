// Runtime: what a command needs, opened from the configuration: clock, ids, store, and the engine.
#pragma once

#include <memory>

#include "cli/config.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "jobs/instance_lease.hpp"
#include "store/database.hpp"
#include "tsdb/engine.hpp"

namespace mh::cli {

struct Runtime {
    Config config;
    const Clock& clock = SystemClock::Instance();
    std::unique_ptr<IdGenerator> ids;
    std::unique_ptr<store::Database> store;
    // This process's instance number (the node of generated ids), leased in the store; none when read-only.
    std::unique_ptr<jobs::InstanceLease> instance;
    std::unique_ptr<tsdb::Engine> engine;

    // Opens the store (migrating it unless read-only) and, unless read-only, leases an instance number.
    static Result<std::unique_ptr<Runtime>> Open(Config config, bool read_only);
    // Opens the engine: for writing (serve, sim) or read-only beside a running server (queries, export).
    Status OpenEngine(bool read_only);
    // The tenant named `name`, as the operator's scope.
    Result<store::Tenant> Tenant(std::string_view name);
};

// How long an instance number stays leased without renewal; serve renews it every third of this.
inline constexpr std::chrono::seconds kInstanceLeaseLength{60};

tsdb::EngineOptions EngineOptionsFrom(const Config& config, bool read_only);

}  // namespace mh::cli
