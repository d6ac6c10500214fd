// Store: the metadata of meterhub (tenants, users, memberships, devices, series) behind one interface,
// implemented for SQLite (store/sqlite) and later PostgreSQL.
//
// Every call that touches tenant-owned rows takes a TenantScope; a scope for tenant A finds nothing of
// tenant B (kNotFound, never kPermissionDenied, so existence does not leak). Calls without a scope are the
// system administrator's (tenant and user management) and are only reachable through domain::Access.
// Deleting a tenant, user or device deletes everything it owns.
//
// Implementations are thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/tenant_scope.hpp"
#include "store/records.hpp"

namespace mh::store {

struct NewTenant {
    std::string name;
    std::string time_zone = "UTC";
    std::int64_t raw_retention_days = 730;
};

struct NewUser {
    std::string email;
    std::string display_name;
    std::string password_hash;
    bool system_admin = false;
};

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

class Store {
  public:
    virtual ~Store() = default;

    // Tenants (system).
    virtual Result<Tenant> CreateTenant(const NewTenant& tenant) = 0;
    virtual Result<std::vector<Tenant>> ListTenants() = 0;
    virtual Result<Tenant> FindTenant(std::string_view name) = 0;
    virtual Result<Tenant> GetTenant(TenantId id) = 0;
    virtual Status DeleteTenant(TenantId id) = 0;
    virtual Status SetTenantRetention(TenantId id, std::int64_t raw_retention_days) = 0;

    // Users (system).
    virtual Result<User> CreateUser(const NewUser& user) = 0;
    virtual Result<User> GetUser(UserId id) = 0;
    virtual Result<User> FindUserByEmail(std::string_view email) = 0;
    virtual Result<std::vector<User>> ListUsers() = 0;
    virtual Status SetPasswordHash(UserId id, std::string_view password_hash) = 0;
    virtual Status DeleteUser(UserId id) = 0;

    // Memberships. RoleOf is what domain::Access asks before it makes a scope.
    virtual Result<std::optional<Role>> RoleOf(UserId user, TenantId tenant) = 0;
    virtual Status SetMember(TenantId tenant, UserId user, Role role) = 0;
    virtual Result<std::vector<Member>> ListMembers(const TenantScope& scope) = 0;
    // The tenants the user is a member of, by name (not the ones a system administrator may reach).
    virtual Result<std::vector<Membership>> MembershipsOf(UserId user) = 0;
    virtual Status RemoveMember(const TenantScope& scope, UserId user) = 0;

    // Devices.
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

    // Device API keys. FindApiKey is what authentication asks (by the key's public prefix) before it knows
    // the tenant; it returns revoked keys too, so the caller can say so.
    virtual Result<ApiKey> CreateApiKey(const TenantScope& scope, std::string_view name, std::string_view prefix,
                                        std::string_view secret_hash) = 0;
    virtual Result<std::vector<ApiKey>> ListApiKeys(const TenantScope& scope) = 0;
    virtual Status RevokeApiKey(const TenantScope& scope, std::int64_t id) = 0;
    virtual Result<ApiKey> FindApiKey(std::string_view prefix) = 0;

    // Revoked bearer tokens (logout), kept until they would have expired anyway.
    virtual Status RevokeToken(std::string_view token_id, Timestamp expires_at) = 0;
    virtual Result<bool> IsTokenRevoked(std::string_view token_id) = 0;

    // One-time e-mail tokens (verification, password reset, e-mail change), stored hashed.
    virtual Status CreateEmailToken(UserId user, EmailTokenPurpose purpose, std::string_view token_hash,
                                    std::string_view new_email, Timestamp expires_at) = 0;
    // Deletes the token and returns its user (and new e-mail); kNotFound when unknown, used or expired.
    virtual Result<std::pair<UserId, std::string>> ConsumeEmailToken(EmailTokenPurpose purpose,
                                                                     std::string_view token_hash, Timestamp now) = 0;
    virtual Status SetEmailVerified(UserId id, bool verified) = 0;

    // Browser sessions, stored by the hash of their cookie value. FindSession ignores expired ones.
    virtual Status CreateSession(std::string_view id_hash, UserId user, std::string_view csrf_token,
                                 Timestamp expires_at) = 0;
    virtual Result<Session> FindSession(std::string_view id_hash, Timestamp now) = 0;
    virtual Status DeleteSession(std::string_view id_hash) = 0;
    virtual Status SetEmail(UserId id, std::string_view email) = 0;
    virtual Status SetUserLanguage(UserId id, std::string_view language) = 0;
};

}  // namespace mh::store
