// SolarmanPollers: pull mode in `serve`. Every Solarman device with a poll address ("host[:port]") gets a
// SolarmanPoller on its own thread that reads its registers every `interval` through the device's register map
// (its model, default deye_micro_modbus) and writes the samples through the engine, stamped with the time the
// poll completed. The device list is re-read every `rescan`, so devices added, changed or deleted are picked up
// without a restart.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "collect/device_directory.hpp"
#include "collect/field_map_catalog.hpp"
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
    SolarmanPollers(store::Repositories store, tsdb::Engine& engine, const Clock& clock, const FieldMapCatalog& maps,
                    PollersOptions options = {});
    ~SolarmanPollers();  // stops every poller
    SolarmanPollers(const SolarmanPollers&) = delete;
    SolarmanPollers& operator=(const SolarmanPollers&) = delete;

    std::size_t active() const;

    // A device with this serial was registered, edited or deleted: the next frame looks it up afresh.
    void Forget(std::string_view source, std::string_view serial) { directory_.Forget(source, serial); }

  private:
    struct Running;
    void Rescan();
    std::unique_ptr<Running> StartPoller(const store::Device& device);

    store::Repositories store_;
    tsdb::Engine& engine_;
    const Clock& clock_;
    const FieldMapCatalog& maps_;
    const PollersOptions options_;
    DeviceDirectory directory_;
    mutable std::mutex mutex_;
    std::map<std::int64_t, std::unique_ptr<Running>> running_;  // by device id
    std::jthread scanner_;
};

}  // namespace mh::collect
