// Device operations that span the store and the engine.
#pragma once

#include "core/ids.hpp"
#include "core/result.hpp"
#include "core/tenant_scope.hpp"
#include "store/database.hpp"
#include "tsdb/engine.hpp"

namespace mh::domain {

// Deletes the device with its series and samples, and tells the engine, so that writes to those series are
// refused from now on (kNotFound) rather than acknowledged and dropped. kNotFound for another tenant's device.
Status DeleteDevice(store::Repositories store, tsdb::Engine& engine, const TenantScope& scope, DeviceId device);

}  // namespace mh::domain
