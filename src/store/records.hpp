// Rows of the metadata store, as plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/ids.hpp"
#include "core/tenant_scope.hpp"
#include "core/time.hpp"

namespace mh::store {

struct Tenant {
    TenantId id;
    std::string name;
    std::string time_zone = "UTC";
    std::int64_t raw_retention_days = 730;
    Timestamp created_at;
};

struct User {
    UserId id;
    std::string email;
    std::string display_name;
    std::string password_hash;  // Argon2id, libsodium's encoded form
    bool system_admin = false;
    bool email_verified = false;
    Timestamp created_at;
    std::string language;  // the web UI's language ("en", "de"); empty: the browser's choice
};

// A tenant a user belongs to, with their role there.
struct Membership {
    Tenant tenant;
    Role role = Role::kViewer;
};

struct Member {
    UserId user;
    std::string email;
    Role role = Role::kViewer;
};

struct Device {
    DeviceId id;
    TenantId tenant;
    std::string name;
    std::string source;  // where its data comes from: generic, solarman, opendtu, solaredge, usms, fablab, demo
    std::string serial;  // logger/inverter/meter serial; empty when the source has none
    std::string model;   // for Solarman loggers: the field or register map (empty: chosen from the frames)
    Timestamp created_at;
    // Learned from the device's own frames.
    std::string firmware;
    std::optional<double> rated_power_w;
    std::optional<int> mppt_count;  // PV inputs (strings); set by the owner or learned
    // Pull mode: "host:port" of a logger that meterhub polls (Solarman port 8899); empty: the device pushes.
    std::string poll_address;
};

// A device that sent data nobody has claimed yet: collectors acknowledge it and record it here, so that a tenant
// can claim it (`meterhub device claim SERIAL`, POST /api/v1/tenants/{tenant}/devices/claim).
struct UnclaimedDevice {
    std::string source;  // solarman, opendtu, ...
    std::string serial;
    Timestamp first_seen;
    Timestamp last_seen;
    std::int64_t frames = 0;
    std::string remote_address;
    std::string details;  // what the device said about itself, e.g. "firmware MW3_16U_5406_1.57"
};

struct ApiKey {
    std::int64_t id = 0;
    TenantId tenant;
    std::string name;
    std::string prefix;       // shown in lists; the lookup key
    std::string secret_hash;  // SHA-256 of the whole key
    Timestamp created_at;
    std::optional<Timestamp> revoked_at;
};

struct Session {
    UserId user;
    std::string csrf_token;
    Timestamp expires_at;
};

enum class EmailTokenPurpose { kVerify, kReset, kChangeEmail };

enum class SeriesKind { kGauge, kCounter };
const char* SeriesKindName(SeriesKind kind) noexcept;
std::optional<SeriesKind> ParseSeriesKind(std::string_view text) noexcept;

struct Series {
    SeriesId id;
    TenantId tenant;
    DeviceId device;
    std::string metric;  // e.g. power_ac, energy_total, dc1.voltage
    std::string unit;    // e.g. W, kWh, V
    SeriesKind kind = SeriesKind::kGauge;
};

}  // namespace mh::store
