// Devices: the one owner of changes to devices — creating, editing, claiming and deleting go through here, from
// the API, the web pages and the CLI alike.
//
// It checks the fields (the rules live here, not in each edge's parser), writes the store, tells the engine of
// deleted series (so writes to them are refused at once rather than acknowledged and dropped), and tells every
// listener — the caches that hold devices or series: the API's series names, the collectors' device directories —
// so that a device registered through any path is accepted by the collectors at once, and a deleted one refused.
// Listeners hear of this process's changes; another instance's caches learn of them when their entries expire
// (and, on PostgreSQL, through notifications).
//
// Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/tenant_scope.hpp"
#include "store/device_repository.hpp"
#include "tsdb/engine.hpp"

namespace mh::domain {

// The sources a device may name: where its data comes from.
std::span<const std::string_view> DeviceSources();

struct DeviceChange {
    enum class Kind { kCreated, kUpdated, kDeleted };
    Kind kind = Kind::kCreated;
    TenantId tenant;
    DeviceId device;
    std::string source;
    std::string serial;      // now (empty when deleted or cleared)
    std::string old_serial;  // before an update or deletion
};

class Devices {
  public:
    using Listener = std::function<void(const DeviceChange&)>;

    // `engine` may be null where none runs (CLI commands): its caches then live in another process.
    Devices(store::DeviceRepository& devices, tsdb::Engine* engine) : devices_(devices), engine_(engine) {}
    // Thread-safe; a listener runs on the thread that made the change and must not call back into Devices.
    void AddListener(Listener listener);
    // Told of each change made here, after the listeners, to pass on to other instances on a shared database.
    void SetAnnouncer(Listener announcer);
    // A change another instance made: told to the listeners as if made here, and not announced again.
    void Heard(const DeviceChange& change) const;

    // kInvalidArgument for a missing name or a field out of bounds; kAlreadyExists when the serial is taken.
    Result<store::Device> Create(const TenantScope& scope, const store::NewDevice& device);
    Status Update(const TenantScope& scope, DeviceId id, const store::DeviceUpdate& update);
    Result<store::Device> Claim(const TenantScope& scope, std::string_view serial,
                                std::optional<std::string_view> source, std::string_view name);
    // Deletes the device with its series and samples. kNotFound for another tenant's device.
    Status Delete(const TenantScope& scope, DeviceId id);

    // The field rules, for edges that want to check before they call (forms re-shown with the message).
    static Status Check(const store::DeviceUpdate& fields);
    static Status CheckSource(std::string_view source);

  private:
    void Tell(const DeviceChange& change) const;

    store::DeviceRepository& devices_;
    tsdb::Engine* engine_;
    mutable std::mutex listeners_mutex_;
    std::vector<Listener> listeners_;
    Listener announcer_;
};

}  // namespace mh::domain
