// Runtime: what a command needs, opened from the configuration: clock, ids, store, and the engine.
#pragma once

#include <memory>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/ids.hpp"
#include "store/database.hpp"
#include "tsdb/engine.hpp"

namespace mh::cli {

struct Runtime {
    Config config;
    const Clock& clock = SystemClock::Instance();
    std::unique_ptr<IdGenerator> ids;
    std::unique_ptr<store::Database> store;
    std::unique_ptr<tsdb::Engine> engine;

    // Opens the store (migrating it unless read-only).
    static Result<std::unique_ptr<Runtime>> Open(Config config, bool read_only);
    // Opens the engine: for writing (serve, sim) or read-only beside a running server (queries, export).
    Status OpenEngine(bool read_only);
    // The tenant named `name`, as the operator's scope.
    Result<store::Tenant> Tenant(std::string_view name);
};

tsdb::EngineOptions EngineOptionsFrom(const Config& config, bool read_only);

}  // namespace mh::cli
