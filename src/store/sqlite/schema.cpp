#include "store/sqlite/schema.hpp"

namespace mh::store::sqlite {
namespace {

// Never edit a migration that has shipped: add a new one.
constexpr sql::Migration kMigrations[] = {
    {1, "tenants, users, devices, series, chunks, rollups", R"sql(
CREATE TABLE tenants (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    time_zone          TEXT NOT NULL DEFAULT 'UTC',
    raw_retention_days INTEGER NOT NULL DEFAULT 730 CHECK (raw_retention_days > 0),
    created_at         INTEGER NOT NULL
);
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name   TEXT NOT NULL DEFAULT '',
    password_hash  TEXT NOT NULL,
    system_admin   INTEGER NOT NULL DEFAULT 0,
    email_verified INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
CREATE TABLE memberships (
    tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('viewer', 'admin', 'owner')),
    PRIMARY KEY (tenant_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships(user_id);
CREATE TABLE devices (
    id         INTEGER PRIMARY KEY,
    tenant_id  INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    source     TEXT NOT NULL,
    serial     TEXT,
    model      TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (tenant_id, serial)
);
CREATE TABLE series (
    id        INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    metric    TEXT NOT NULL,
    unit      TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('gauge', 'counter')),
    UNIQUE (device_id, metric)
);
CREATE INDEX series_by_tenant ON series(tenant_id);
CREATE TABLE chunks (
    series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    start_ts  INTEGER NOT NULL,
    end_ts    INTEGER NOT NULL,
    tenant_id INTEGER NOT NULL,
    count     INTEGER NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (series_id, start_ts)
) WITHOUT ROWID;
CREATE TABLE rollups (
    series_id  INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    resolution INTEGER NOT NULL,
    bucket     INTEGER NOT NULL,
    tenant_id  INTEGER NOT NULL,
    count      INTEGER NOT NULL,
    min        REAL NOT NULL,
    max        REAL NOT NULL,
    sum        REAL NOT NULL,
    first_ts   INTEGER NOT NULL,
    first      REAL NOT NULL,
    last_ts    INTEGER NOT NULL,
    last       REAL NOT NULL,
    increase   REAL NOT NULL,
    integral   REAL NOT NULL,
    PRIMARY KEY (series_id, resolution, bucket)
) WITHOUT ROWID;
)sql"},
    {2, "api keys, revoked tokens, e-mail tokens", R"sql(
CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    prefix      TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX api_keys_by_tenant ON api_keys(tenant_id);
CREATE TABLE revoked_tokens (
    token_id   TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'reset', 'email')),
    new_email  TEXT,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql"},
    {3, "browser sessions", R"sql(
CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id);
)sql"},
    {4, "device facts, one owner per source serial, unclaimed devices", R"sql(
ALTER TABLE devices ADD COLUMN firmware TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN rated_power_w REAL;
-- Collectors find a device by the serial in its frames, so there the serial names one device in all tenants.
CREATE UNIQUE INDEX devices_by_collector_serial ON devices(source, serial)
    WHERE serial IS NOT NULL AND source IN ('solarman', 'opendtu');
CREATE INDEX devices_by_source_serial ON devices(source, serial);
ALTER TABLE devices ADD COLUMN poll_address TEXT NOT NULL DEFAULT '';
CREATE TABLE unclaimed_devices (
    source         TEXT NOT NULL,
    serial         TEXT NOT NULL,
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    frames         INTEGER NOT NULL,
    remote_address TEXT NOT NULL DEFAULT '',
    details        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (source, serial)
) WITHOUT ROWID;
)sql"},
    {5, "inverter MPPT count", R"sql(
ALTER TABLE devices ADD COLUMN mppt_count INTEGER CHECK (mppt_count IS NULL OR mppt_count BETWEEN 1 AND 64);
)sql"},
    {6, "chunks by end time", R"sql(
-- Range reads ask for chunks ending at or after `from`; without this index they scanned every chunk of the
-- series from its first, reading a year of chunk data to answer "today".
CREATE INDEX chunks_by_end ON chunks(series_id, end_ts);
)sql"},
    {7, "user language", R"sql(
-- The web UI's language per user ("en", "de"); empty: the browser's Accept-Language decides.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
)sql"},
    {8, "leases for jobs and instance numbers", R"sql(
-- Who runs a scheduled job, and which instance holds which node number of the id generator (docs/design.md,
-- "Leases"). expires_at and acquired_at are milliseconds since the epoch.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    acquired_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql"},
    // 9 is the raw-samples table's (the time-series engine on PostgreSQL), on another branch.
    {10, "row-level security (PostgreSQL only)", R"sql(
-- PostgreSQL's migration 10 holds each tenant to its rows by row-level security; SQLite, one process's own file,
-- has no roles, and this records only that the schema is at the same version on both.
SELECT 1;
)sql"},
};

}  // namespace

std::span<const sql::Migration> Migrations() {
    return kMigrations;
}

int LatestSchemaVersion() {
    return kMigrations[std::size(kMigrations) - 1].version;
}

}  // namespace mh::store::sqlite
