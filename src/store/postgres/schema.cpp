#include "store/postgres/schema.hpp"

namespace mh::store::postgres {
namespace {

// SQLite's types map as INTEGER -> bigint (SQLite's integers are 64-bit), REAL -> double precision, BLOB ->
// bytea, TEXT -> text COLLATE "C": byte order, as SQLite's BINARY collation, so that ORDER BY and the lease
// repository's prefix range mean the same on both. SQLite's COLLATE NOCASE e-mail becomes a nondeterministic
// ICU collation (case-insensitive equality and uniqueness; it also folds non-ASCII case, which SQLite's does
// not). WITHOUT ROWID has no counterpart (a table with a primary key is what it asks for).
constexpr sql::Migration kMigrations[] = {
    {1, "tenants, users, devices, series, chunks, rollups", R"sql(
CREATE COLLATION mh_nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE tenants (
    id                 bigint PRIMARY KEY,
    name               text COLLATE "C" NOT NULL UNIQUE,
    time_zone          text COLLATE "C" NOT NULL DEFAULT 'UTC',
    raw_retention_days bigint NOT NULL DEFAULT 730 CHECK (raw_retention_days > 0),
    created_at         bigint NOT NULL
);
CREATE TABLE users (
    id             bigint PRIMARY KEY,
    email          text COLLATE mh_nocase NOT NULL UNIQUE,
    display_name   text COLLATE "C" NOT NULL DEFAULT '',
    password_hash  text COLLATE "C" NOT NULL,
    system_admin   bigint NOT NULL DEFAULT 0,
    email_verified bigint NOT NULL DEFAULT 0,
    created_at     bigint NOT NULL
);
CREATE TABLE memberships (
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role      text COLLATE "C" NOT NULL CHECK (role IN ('viewer', 'admin', 'owner')),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships(user_id);
CREATE TABLE devices (
    id         bigint PRIMARY KEY,
    tenant_id  bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name       text COLLATE "C" NOT NULL,
    source     text COLLATE "C" NOT NULL,
    serial     text COLLATE "C",
    model      text COLLATE "C" NOT NULL DEFAULT '',
    created_at bigint NOT NULL,
    UNIQUE (tenant_id, serial)
);
CREATE TABLE series (
    id        bigint PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    device_id bigint NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    metric    text COLLATE "C" NOT NULL,
    unit      text COLLATE "C" NOT NULL,
    kind      text COLLATE "C" NOT NULL CHECK (kind IN ('gauge', 'counter')),
    UNIQUE (device_id, metric)
);
CREATE INDEX series_by_tenant ON series(tenant_id);
CREATE TABLE chunks (
    series_id bigint NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    start_ts  bigint NOT NULL,
    end_ts    bigint NOT NULL,
    tenant_id bigint NOT NULL,
    count     bigint NOT NULL,
    data      bytea NOT NULL,
    PRIMARY KEY (series_id, start_ts)
);
CREATE TABLE rollups (
    series_id  bigint NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    resolution bigint NOT NULL,
    bucket     bigint NOT NULL,
    tenant_id  bigint NOT NULL,
    count      bigint NOT NULL,
    min        double precision NOT NULL,
    max        double precision NOT NULL,
    sum        double precision NOT NULL,
    first_ts   bigint NOT NULL,
    first      double precision NOT NULL,
    last_ts    bigint NOT NULL,
    last       double precision NOT NULL,
    increase   double precision NOT NULL,
    integral   double precision NOT NULL,
    PRIMARY KEY (series_id, resolution, bucket)
);
)sql"},
    {2, "api keys, revoked tokens, e-mail tokens", R"sql(
CREATE TABLE api_keys (
    id          bigint PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        text COLLATE "C" NOT NULL,
    prefix      text COLLATE "C" NOT NULL UNIQUE,
    secret_hash text COLLATE "C" NOT NULL,
    created_at  bigint NOT NULL,
    revoked_at  bigint
);
CREATE INDEX api_keys_by_tenant ON api_keys(tenant_id);
CREATE TABLE revoked_tokens (
    token_id   text COLLATE "C" PRIMARY KEY,
    expires_at bigint NOT NULL
);
CREATE TABLE email_tokens (
    token_hash text COLLATE "C" PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    text COLLATE "C" NOT NULL CHECK (purpose IN ('verify', 'reset', 'email')),
    new_email  text COLLATE "C",
    expires_at bigint NOT NULL
);
)sql"},
    {3, "browser sessions", R"sql(
CREATE TABLE sessions (
    id_hash    text COLLATE "C" PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token text COLLATE "C" NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);
)sql"},
    {4, "device facts, one owner per source serial, unclaimed devices", R"sql(
ALTER TABLE devices ADD COLUMN firmware text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN rated_power_w double precision;
-- Collectors find a device by the serial in its frames, so there the serial names one device in all tenants.
CREATE UNIQUE INDEX devices_by_collector_serial ON devices(source, serial)
    WHERE serial IS NOT NULL AND source IN ('solarman', 'opendtu');
CREATE INDEX devices_by_source_serial ON devices(source, serial);
ALTER TABLE devices ADD COLUMN poll_address text COLLATE "C" NOT NULL DEFAULT '';
CREATE TABLE unclaimed_devices (
    source         text COLLATE "C" NOT NULL,
    serial         text COLLATE "C" NOT NULL,
    first_seen     bigint NOT NULL,
    last_seen      bigint NOT NULL,
    frames         bigint NOT NULL,
    remote_address text COLLATE "C" NOT NULL DEFAULT '',
    details        text COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (source, serial)
);
)sql"},
    {5, "inverter MPPT count", R"sql(
ALTER TABLE devices ADD COLUMN mppt_count bigint CHECK (mppt_count IS NULL OR mppt_count BETWEEN 1 AND 64);
)sql"},
    {6, "chunks by end time", R"sql(
-- Range reads ask for chunks ending at or after `from`; without this index they scanned every chunk of the
-- series from its first.
CREATE INDEX chunks_by_end ON chunks(series_id, end_ts);
)sql"},
    {7, "user language", R"sql(
-- The web UI's language per user ("en", "de"); empty: the browser's Accept-Language decides.
ALTER TABLE users ADD COLUMN language text COLLATE "C" NOT NULL DEFAULT '';
)sql"},
    {8, "leases for jobs and instance numbers", R"sql(
-- Who runs a scheduled job, and which instance holds which node number of the id generator (docs/design.md,
-- "Leases"). expires_at and acquired_at are milliseconds since the epoch.
CREATE TABLE leases (
    name        text COLLATE "C" PRIMARY KEY,
    holder      text COLLATE "C" NOT NULL,
    expires_at  bigint NOT NULL,
    acquired_at bigint NOT NULL
);
)sql"},
    {9, "the sample journal of the shared time-series engine", R"sql(
-- Acknowledged samples not yet compacted into chunks (store/sample_journal.hpp), appended by binary COPY. A
-- timestamp may repeat: the row with the highest seq (appended last) wins. No primary key and no foreign key, so
-- appends are plain COPY; compaction deletes the rows it moved, and rows of deleted series with them. Partitioned
-- by UTC day (samples_raw_YYYYMMDD, made ahead by compaction); a day's partition, once compacted empty, is
-- dropped whole instead of leaving dead rows to VACUUM. Rows of days without a partition land in the default one.
CREATE SEQUENCE samples_raw_seq AS bigint;
CREATE TABLE samples_raw (
    series_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    ts        bigint NOT NULL,
    value     double precision NOT NULL,
    seq       bigint NOT NULL DEFAULT nextval('samples_raw_seq')
) PARTITION BY RANGE (ts);
CREATE TABLE samples_raw_default PARTITION OF samples_raw DEFAULT;
CREATE INDEX samples_raw_by_series ON samples_raw (series_id, ts);
)sql"},
};

}  // namespace

std::span<const sql::Migration> Migrations() {
    return kMigrations;
}

int LatestSchemaVersion() {
    return kMigrations[std::size(kMigrations) - 1].version;
}

}  // namespace mh::store::postgres
