// Database: one backend's schema and the repositories over it.
//
// A backend (store/sql over SQLite today, PostgreSQL in store/postgres later) implements every repository
// interface of store/ and owns the schema they share: Migrate() applies the pending migrations, which each
// backend keeps for its own dialect. Modules with repositories of their own (fablab, harvest, usms, tariffs)
// are built by the wiring code (cli) over the same backend; they are not added here.
//
// Repositories is a plain bundle of references, for the layers that use several (api, web, cli); code that
// needs one concept takes that one interface. Thread-safe as the repositories are.
#pragma once

#include <string>

#include "core/result.hpp"
#include "store/auth_repository.hpp"
#include "store/chunk_store.hpp"
#include "store/device_repository.hpp"
#include "store/lease_repository.hpp"
#include "store/tenant_repository.hpp"
#include "store/user_repository.hpp"

namespace mh::store {

class Repositories {
  public:
    Repositories(TenantRepository& tenants, UserRepository& users, AuthRepository& auth, DeviceRepository& devices,
                 ChunkStore& chunks, LeaseRepository& leases)
        : tenants_(&tenants), users_(&users), auth_(&auth), devices_(&devices), chunks_(&chunks), leases_(&leases) {}

    TenantRepository& tenants() const { return *tenants_; }
    UserRepository& users() const { return *users_; }
    AuthRepository& auth() const { return *auth_; }
    DeviceRepository& devices() const { return *devices_; }
    ChunkStore& chunks() const { return *chunks_; }
    LeaseRepository& leases() const { return *leases_; }

  private:
    TenantRepository* tenants_;
    UserRepository* users_;
    AuthRepository* auth_;
    DeviceRepository* devices_;
    ChunkStore* chunks_;
    LeaseRepository* leases_;
};

class Database {
  public:
    virtual ~Database() = default;

    // The schema version recorded in the database, and the one this binary's migrations reach.
    virtual Result<int> SchemaVersion() = 0;
    virtual int LatestSchemaVersion() const = 0;
    // Applies the pending migrations, each in its own transaction; returns how many ran. A database newer than
    // this binary knows is refused (kFailedPrecondition).
    virtual Result<int> Migrate() = 0;
    // What and where, for status output and logs: "sqlite data/meterhub.db".
    virtual std::string Describe() const = 0;

    virtual Repositories repositories() = 0;
    TenantRepository& tenants() { return repositories().tenants(); }
    UserRepository& users() { return repositories().users(); }
    AuthRepository& auth() { return repositories().auth(); }
    DeviceRepository& devices() { return repositories().devices(); }
    ChunkStore& chunks() { return repositories().chunks(); }
    LeaseRepository& leases() { return repositories().leases(); }
};

}  // namespace mh::store
