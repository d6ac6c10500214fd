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
    {10, "row-level security on every tenant-owned table", R"sql(
-- docs/schema.md, "Row-level security". Roles are the cluster's, shared by every database on it, so each is made
-- only when missing; two instances migrating two databases at once may both find it missing, and the one that
-- loses the race on the catalog's unique index finds it made.
DO $$
DECLARE
    wanted text;
BEGIN
    FOREACH wanted IN ARRAY ARRAY['meterhub_app', 'meterhub_system'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = wanted) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE', wanted);
            EXCEPTION
                WHEN duplicate_object OR unique_violation THEN NULL;
                WHEN insufficient_privilege THEN
                    RAISE EXCEPTION 'role % does not exist and % may not create roles', wanted, current_user
                        USING HINT = 'create roles meterhub_app and meterhub_system first (docs/schema.md, '
                                     '"Row-level security")';
            END;
        END IF;
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = wanted AND (rolsuper OR rolbypassrls)) THEN
            RAISE EXCEPTION 'role % is a superuser or has BYPASSRLS: row-level security would not hold', wanted;
        END IF;
        -- The driver switches to the role per transaction (SET ROLE), which a superuser may always do and anyone
        -- else as a member.
        IF NOT pg_has_role(current_user, wanted, 'MEMBER') THEN
            BEGIN
                EXECUTE format('GRANT %I TO %I', wanted, current_user);
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE EXCEPTION '% is not a member of role % and may not make itself one', current_user, wanted
                    USING HINT = 'GRANT ' || wanted || ' TO ' || current_user || ' (docs/schema.md)';
            END;
        END IF;
    END LOOP;
END
$$;

-- Isolates one table with a tenant_id column: row-level security enabled and forced (the owner too is held to
-- it), a policy that lets a transaction see and write only the rows of the tenant it set (none when it set
-- none: NULLIF, because a setting that a transaction once set reads '' afterwards, not NULL), one that lets
-- the system role through, and the privileges both roles need. Later migrations call it for new tables.
CREATE FUNCTION mh_enable_tenant_rls(target regclass) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', target);
    EXECUTE format('CREATE POLICY mh_tenant ON %s '
                   'USING (tenant_id = NULLIF(current_setting(''mh.tenant'', true), '''')::bigint) '
                   'WITH CHECK (tenant_id = NULLIF(current_setting(''mh.tenant'', true), '''')::bigint)', target);
    EXECUTE format('CREATE POLICY mh_system ON %s TO meterhub_system USING (true) WITH CHECK (true)', target);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO meterhub_app, meterhub_system', target);
END
$f$;
REVOKE ALL ON FUNCTION mh_enable_tenant_rls(regclass) FROM PUBLIC;

DO $$
DECLARE
    tenant_owned regclass;
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO meterhub_app, meterhub_system', current_schema());
    -- The system role works on every table but the migrations' record, and on the tables later migrations make.
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO meterhub_system',
                   current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES '
                   'TO meterhub_system', current_schema());
    REVOKE ALL ON schema_migrations FROM meterhub_system;
    -- The sample journal's seq default (migration 9) runs as the system role.
    EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO meterhub_system', current_schema());
    FOR tenant_owned IN
        SELECT c.oid::regclass FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
          AND a.attname = 'tenant_id' AND NOT a.attisdropped
    LOOP
        PERFORM mh_enable_tenant_rls(tenant_owned);
    END LOOP;
END
$$;
-- What the tenant paths read beyond their tenant's rows: members' e-mail addresses (not their password hashes),
-- and the unclaimed devices a tenant claims or registers (their frames name no tenant).
GRANT SELECT (id, email) ON users TO meterhub_app;
GRANT SELECT, DELETE ON unclaimed_devices TO meterhub_app;
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
