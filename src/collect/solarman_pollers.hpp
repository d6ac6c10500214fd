// SolarmanPollers: pull mode in `serve`. Every Solarman device with a poll address ("host[:port]") gets a
// SolarmanPoller that reads its registers every `interval` through the device's register map (its model, default
// deye_micro_modbus) and writes the samples through the engine, stamped with the time the poll completed.
//
// Each poller is a leased job on the Runtime's Scheduler, "solarman-poll/<device id>": with several instances on
// one database, one of them polls each logger at a time (loggers accept few clients). The device list is re-read
// by a local job every `rescan`, so devices added, changed or deleted are picked up without a restart. No threads
// of its own. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include "collect/device_directory.hpp"
#include "collect/field_map_catalog.hpp"
#include "jobs/scheduler.hpp"
#include "store/database.hpp"
#include "tsdb/engine.hpp"

namespace mh::collect {

struct PollersOptions {
    std::chrono::milliseconds interval{60'000};
    std::chrono::milliseconds rescan{60'000};
    std::string default_map = "deye_micro_modbus";
};

class SolarmanPollers {
  public:
    // Adds the rescan job to `scheduler` (which must outlive this object); its first run starts the pollers.
    SolarmanPollers(store::Repositories store, tsdb::Engine& engine, const Clock& clock, const FieldMapCatalog& maps,
                    jobs::Scheduler& scheduler, PollersOptions options = {});
    ~SolarmanPollers();  // removes every job, ending polls in progress
    SolarmanPollers(const SolarmanPollers&) = delete;
    SolarmanPollers& operator=(const SolarmanPollers&) = delete;

    std::size_t active() const;

    // A device with this serial was registered, edited or deleted: the next frame looks it up afresh.
    void Forget(std::string_view source, std::string_view serial) { directory_.Forget(source, serial); }

    // Starts, restarts and stops pollers to match the devices in the store (what the rescan job runs).
    Status Rescan();

  private:
    struct Running;
    std::unique_ptr<Running> StartPoller(const store::Device& device);
    void StopPoller(Running& running);

    store::Repositories store_;
    tsdb::Engine& engine_;
    const Clock& clock_;
    const FieldMapCatalog& maps_;
    jobs::Scheduler& scheduler_;
    const PollersOptions options_;
    DeviceDirectory directory_;
    std::mutex rescan_mutex_;  // one Rescan() at a time
    mutable std::mutex mutex_;
    std::map<std::int64_t, std::unique_ptr<Running>> running_;  // by device id
};

}  // namespace mh::collect
