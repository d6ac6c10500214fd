// DeviceRepository: a tenant's devices and their series, and the devices that collectors have heard from but
// no tenant has registered yet.
//
// Every call on a tenant's devices takes its TenantScope; a scope for tenant A finds nothing of tenant B
// (kNotFound, never kPermissionDenied, so existence does not leak). Deleting a device deletes its series and
// their samples. Change devices through domain::Devices, which also tells the caches that hold them.
//
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/tenant_scope.hpp"
#include "store/records.hpp"

namespace mh::store {

struct NewDevice {
    std::string name;
    std::string source = "generic";
    std::string serial;
    std::string model;
    std::string poll_address;
    std::optional<double> rated_power_w;
    std::optional<int> mppt_count;
};

// One or more frames from a device no tenant has registered.
struct DeviceSighting {
    std::string source;
    std::string serial;
    std::string remote_address;
    Timestamp seen_at;
    std::int64_t frames = 1;  // added to the recorded count
    std::string details;      // replaces the recorded details when not empty
};

// Metadata a device reports about itself; unset fields are left as they are.
struct DeviceFacts {
    std::optional<std::string> firmware{};
    std::optional<double> rated_power_w{};
    std::optional<int> mppt_count{};
};

// An owner's edit of a device; unset fields are left as they are. Empty serial or model text clears them.
struct DeviceUpdate {
    std::optional<std::string> name{};
    std::optional<std::string> serial{};
    std::optional<std::string> model{};
    std::optional<std::string> poll_address{};
    std::optional<double> rated_power_w{};
    std::optional<int> mppt_count{};
};

struct NewSeries {
    DeviceId device;
    std::string metric;
    std::string unit;
    SeriesKind kind = SeriesKind::kGauge;
};

class DeviceRepository {
  public:
    virtual ~DeviceRepository() = default;

    // Devices. kAlreadyExists when the serial is taken.
    virtual Result<Device> CreateDevice(const TenantScope& scope, const NewDevice& device) = 0;
    virtual Result<std::vector<Device>> ListDevices(const TenantScope& scope) = 0;
    virtual Result<Device> GetDevice(const TenantScope& scope, DeviceId id) = 0;
    virtual Result<Device> FindDeviceBySerial(const TenantScope& scope, std::string_view serial) = 0;
    // kAlreadyExists when the new serial is taken.
    virtual Status UpdateDevice(const TenantScope& scope, DeviceId id, const DeviceUpdate& update) = 0;
    virtual Status DeleteDevice(const TenantScope& scope, DeviceId id) = 0;
    virtual Status SetDeviceFacts(const TenantScope& scope, DeviceId id, const DeviceFacts& facts) = 0;

    // Collectors. A frame names a serial, not a tenant, so these take no scope: FindDeviceBySource tells the
    // collector which tenant the device belongs to (a (source, serial) pair belongs to one tenant at most), and
    // the collector then acts with that tenant's scope. Unclaimed devices belong to no tenant.
    virtual Result<Device> FindDeviceBySource(std::string_view source, std::string_view serial) = 0;
    virtual Status RecordUnclaimed(const DeviceSighting& sighting) = 0;
    virtual Result<std::vector<UnclaimedDevice>> ListUnclaimed() = 0;
    // Turns an unclaimed device into one of the scope's devices, in one transaction. kNotFound when no device
    // with that serial (and source, when given) is waiting; kAlreadyExists when the serial is registered.
    virtual Result<Device> ClaimDevice(const TenantScope& scope, std::string_view serial,
                                       std::optional<std::string_view> source, std::string_view name) = 0;

    // Series. EnsureSeries returns the existing series of (device, metric) or creates it; an existing one
    // with another unit or kind is kAlreadyExists.
    virtual Result<Series> EnsureSeries(const TenantScope& scope, const NewSeries& series) = 0;
    virtual Result<std::vector<Series>> ListSeries(const TenantScope& scope, std::optional<DeviceId> device) = 0;
    virtual Result<Series> GetSeries(const TenantScope& scope, SeriesId id) = 0;
};

}  // namespace mh::store
