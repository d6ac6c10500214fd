// Internal to store/sql: the column lists and row mappings that several repositories share.
#pragma once

#include <string_view>

#include "store/records.hpp"
#include "store/sql/connection.hpp"

namespace mh::store::sql {

inline constexpr std::string_view kTenantColumns = "id, name, time_zone, raw_retention_days, created_at";
inline constexpr std::string_view kDeviceColumns =
    "id, tenant_id, name, source, COALESCE(serial, ''), model, created_at, firmware, rated_power_w, poll_address, "
    "mppt_count";

Tenant TenantFrom(const Statement& s);
Device DeviceFrom(const Statement& s);

}  // namespace mh::store::sql
