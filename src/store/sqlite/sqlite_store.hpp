// SqliteStore: Store and ChunkStore in one SQLite file (WAL mode).
//
// One writer connection, used under a mutex, and a pool of reader connections, so that readers never wait
// for a checkpoint's write transaction. Opening runs the pending migrations. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/chunk_store.hpp"
#include "store/sqlite/connection.hpp"
#include "store/store.hpp"

namespace mh::store::sqlite {

class SqliteStore final : public Store, public ChunkStore {
  public:
    struct Options {
        bool read_only = false;  // no migrations, no writes (status and query commands)
        bool migrate = true;     // apply pending migrations at open
    };
    static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, const Clock& clock, IdGenerator& ids,
                                                     Options options);
    ~SqliteStore() override;

    const std::string& path() const { return path_; }
    Result<int> SchemaVersion();
    Result<int> Migrate();

    // Store
    Result<Tenant> CreateTenant(const NewTenant& tenant) override;
    Result<std::vector<Tenant>> ListTenants() override;
    Result<Tenant> FindTenant(std::string_view name) override;
    Result<Tenant> GetTenant(TenantId id) override;
    Status DeleteTenant(TenantId id) override;
    Status SetTenantRetention(TenantId id, std::int64_t raw_retention_days) override;
    Result<User> CreateUser(const NewUser& user) override;
    Result<User> GetUser(UserId id) override;
    Result<User> FindUserByEmail(std::string_view email) override;
    Result<std::vector<User>> ListUsers() override;
    Status SetPasswordHash(UserId id, std::string_view password_hash) override;
    Status DeleteUser(UserId id) override;
    Result<std::optional<Role>> RoleOf(UserId user, TenantId tenant) override;
    Status SetMember(TenantId tenant, UserId user, Role role) override;
    Result<std::vector<Member>> ListMembers(const TenantScope& scope) override;
    Result<std::vector<Membership>> MembershipsOf(UserId user) override;
    Status RemoveMember(const TenantScope& scope, UserId user) override;
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
    Status SetEmailVerified(UserId id, bool verified) override;
    Status CreateSession(std::string_view id_hash, UserId user, std::string_view csrf_token,
                         Timestamp expires_at) override;
    Result<Session> FindSession(std::string_view id_hash, Timestamp now) override;
    Status DeleteSession(std::string_view id_hash) override;
    Status SetEmail(UserId id, std::string_view email) override;
    Status SetUserLanguage(UserId id, std::string_view language) override;

    // ChunkStore
    Result<std::optional<SeriesInfo>> LookupSeries(SeriesId id) override;
    Result<std::vector<ChunkRow>> ReadChunks(SeriesId series, std::int64_t from_ms, std::int64_t to_ms) override;
    Result<std::optional<ChunkRow>> LastChunk(SeriesId series) override;
    Result<std::vector<RollupRow>> ReadRollups(SeriesId series, std::int32_t resolution_s, std::int64_t from_ms,
                                               std::int64_t to_ms) override;
    Status Write(const ChunkWrite& change, const CommitHooks& hooks) override;
    Result<std::int64_t> PurgeChunks(TenantId tenant, std::int64_t before_ms) override;
    Result<Stats> ChunkStats() override;

  private:
    SqliteStore(std::string path, const Clock& clock, IdGenerator& ids, Options options,
                std::unique_ptr<Connection> writer);

    // A reader connection for the duration of one call, returned to the pool by the destructor.
    class Reader;
    Result<Reader> AcquireReader();
    void ReleaseReader(std::unique_ptr<Connection> connection);

    std::string path_;
    const Clock& clock_;
    IdGenerator& ids_;
    Options options_;
    std::mutex writer_mutex_;
    std::unique_ptr<Connection> writer_;
    std::mutex readers_mutex_;
    std::vector<std::unique_ptr<Connection>> idle_readers_;
};

// Holds a pooled reader connection for one call.
class SqliteStore::Reader {
  public:
    Reader(SqliteStore* store, std::unique_ptr<Connection> connection)
        : store_(store), connection_(std::move(connection)) {}
    Reader(Reader&&) noexcept = default;
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    Reader& operator=(Reader&&) = delete;
    ~Reader() {
        if (connection_) store_->ReleaseReader(std::move(connection_));
    }
    Connection& operator*() { return *connection_; }
    Connection* operator->() { return connection_.get(); }

  private:
    SqliteStore* store_;
    std::unique_ptr<Connection> connection_;
};

}  // namespace mh::store::sqlite
