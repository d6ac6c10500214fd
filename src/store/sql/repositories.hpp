// The repositories of store/, written once in portable SQL over a Pool (see connection.hpp and dialect.hpp),
// one class per interface, each implemented in its own file (tenant_rows.cpp, user_rows.cpp, ...).
//
// Ids come from the injected IdGenerator and times from the injected Clock. Thread-safe as the Pool is.
#pragma once

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/auth_repository.hpp"
#include "store/chunk_store.hpp"
#include "store/device_repository.hpp"
#include "store/lease_repository.hpp"
#include "store/sql/pool.hpp"
#include "store/tenant_repository.hpp"
#include "store/user_repository.hpp"

namespace mh::store::sql {

class SqlTenants final : public TenantRepository {
  public:
    SqlTenants(Pool& pool, const Clock& clock, IdGenerator& ids) : pool_(pool), clock_(clock), ids_(ids) {}
    Result<Tenant> CreateTenant(const NewTenant& tenant) override;
    Result<std::vector<Tenant>> ListTenants() override;
    Result<Tenant> FindTenant(std::string_view name) override;
    Result<Tenant> GetTenant(TenantId id) override;
    Status DeleteTenant(TenantId id) override;
    Status SetTenantRetention(TenantId id, std::int64_t raw_retention_days) override;

  private:
    Pool& pool_;
    const Clock& clock_;
    IdGenerator& ids_;
};

class SqlUsers final : public UserRepository {
  public:
    SqlUsers(Pool& pool, const Clock& clock, IdGenerator& ids) : pool_(pool), clock_(clock), ids_(ids) {}
    Result<User> CreateUser(const NewUser& user) override;
    Result<User> GetUser(UserId id) override;
    Result<User> FindUserByEmail(std::string_view email) override;
    Result<std::vector<User>> ListUsers() override;
    Status SetPasswordHash(UserId id, std::string_view password_hash) override;
    Status SetEmail(UserId id, std::string_view email) override;
    Status SetEmailVerified(UserId id, bool verified) override;
    Status SetUserLanguage(UserId id, std::string_view language) override;
    Status DeleteUser(UserId id) override;
    Result<std::optional<Role>> RoleOf(UserId user, TenantId tenant) override;
    Status SetMember(TenantId tenant, UserId user, Role role) override;
    Result<std::vector<Member>> ListMembers(const TenantScope& scope) override;
    Result<std::vector<Membership>> MembershipsOf(UserId user) override;
    Status RemoveMember(const TenantScope& scope, UserId user) override;

  private:
    Pool& pool_;
    const Clock& clock_;
    IdGenerator& ids_;
};

class SqlAuth final : public AuthRepository {
  public:
    SqlAuth(Pool& pool, const Clock& clock, IdGenerator& ids) : pool_(pool), clock_(clock), ids_(ids) {}
    Result<ApiKey> CreateApiKey(const TenantScope& scope, std::string_view name, std::string_view prefix,
                                std::string_view secret_hash) override;
    Result<std::vector<ApiKey>> ListApiKeys(const TenantScope& scope) override;
    Status RevokeApiKey(const TenantScope& scope, std::int64_t id) override;
    Result<ApiKey> FindApiKey(std::string_view prefix) override;
    Status RevokeToken(std::string_view token_id, Timestamp expires_at) override;
    Result<bool> IsTokenRevoked(std::string_view token_id) override;
    Status CreateEmailToken(UserId user, EmailTokenPurpose purpose, std::string_view token_hash,
                            std::string_view new_email, Timestamp expires_at) override;
    Result<std::pair<UserId, std::string>> ConsumeEmailToken(EmailTokenPurpose purpose, std::string_view token_hash,
                                                             Timestamp now) override;
    Status CreateSession(std::string_view id_hash, UserId user, std::string_view csrf_token,
                         Timestamp expires_at) override;
    Result<Session> FindSession(std::string_view id_hash, Timestamp now) override;
    Status DeleteSession(std::string_view id_hash) override;

  private:
    Pool& pool_;
    const Clock& clock_;
    IdGenerator& ids_;
};

class SqlDevices final : public DeviceRepository {
  public:
    SqlDevices(Pool& pool, const Clock& clock, IdGenerator& ids) : pool_(pool), clock_(clock), ids_(ids) {}
    Result<Device> CreateDevice(const TenantScope& scope, const NewDevice& device) override;
    Result<std::vector<Device>> ListDevices(const TenantScope& scope) override;
    Result<Device> GetDevice(const TenantScope& scope, DeviceId id) override;
    Result<Device> FindDeviceBySerial(const TenantScope& scope, std::string_view serial) override;
    Status UpdateDevice(const TenantScope& scope, DeviceId id, const DeviceUpdate& update) override;
    Status DeleteDevice(const TenantScope& scope, DeviceId id) override;
    Status SetDeviceFacts(const TenantScope& scope, DeviceId id, const DeviceFacts& facts) override;
    Result<Device> FindDeviceBySource(std::string_view source, std::string_view serial) override;
    Status RecordUnclaimed(const DeviceSighting& sighting) override;
    Result<std::vector<UnclaimedDevice>> ListUnclaimed() override;
    Result<Device> ClaimDevice(const TenantScope& scope, std::string_view serial, std::optional<std::string_view> source,
                               std::string_view name) override;
    Result<Series> EnsureSeries(const TenantScope& scope, const NewSeries& series) override;
    Result<std::vector<Series>> ListSeries(const TenantScope& scope, std::optional<DeviceId> device) override;
    Result<Series> GetSeries(const TenantScope& scope, SeriesId id) override;

  private:
    Pool& pool_;
    const Clock& clock_;
    IdGenerator& ids_;
};

// The statements of one ChunkWrite on `writer`, inside the caller's transaction (SqlChunks::Write's, or a
// journal's compaction: store/sample_journal.hpp).
Status WriteChunkChange(Connection& writer, const ChunkWrite& change);

class SqlChunks final : public ChunkStore {
  public:
    explicit SqlChunks(Pool& pool) : pool_(pool) {}
    Result<std::optional<SeriesInfo>> LookupSeries(SeriesId id) override;
    Result<std::vector<ChunkRow>> ReadChunks(SeriesId series, std::int64_t from_ms, std::int64_t to_ms) override;
    Result<std::optional<ChunkRow>> LastChunk(SeriesId series) override;
    Result<std::vector<RollupRow>> ReadRollups(SeriesId series, std::int32_t resolution_s, std::int64_t from_ms,
                                               std::int64_t to_ms) override;
    Status Write(const ChunkWrite& change, const CommitHooks& hooks) override;
    Result<std::int64_t> PurgeChunks(TenantId tenant, std::int64_t before_ms) override;
    Result<Stats> ChunkStats() override;

  private:
    Pool& pool_;
};

class SqlLeases final : public LeaseRepository {
  public:
    explicit SqlLeases(Pool& pool) : pool_(pool) {}
    Result<bool> Acquire(std::string_view name, std::string_view holder, Timestamp now, Timestamp expires_at) override;
    Status Release(std::string_view name, std::string_view holder) override;
    Result<std::optional<Lease>> Find(std::string_view name) override;
    Result<std::vector<Lease>> List(std::string_view prefix) override;

  private:
    Pool& pool_;
};

}  // namespace mh::store::sql
