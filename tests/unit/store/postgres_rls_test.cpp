// Row-level security on PostgreSQL (docs/schema.md, "Row-level security"), against the binary's real server: a
// raw libpq session as the app role sees and writes only the tenant it set, and nothing with none set; every
// table with a tenant_id column has RLS enabled and forced; the pool runs each lease as its access and carries
// nothing over to the next; an owner that is not superuser migrates once it is given the roles.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "domain/access.hpp"
#include "postgres_server.hpp"
#include "store/postgres/open.hpp"
#include "store/postgres/pool.hpp"
#include "store/postgres/roles.hpp"

namespace mh::store::postgres {
namespace {

using domain::Access;

// The tables migration 10 isolates; a test below finds them in the catalog, this list only checks that it did.
const std::set<std::string> kTenantOwned = {"api_keys", "chunks", "devices", "memberships", "rollups", "series"};

// A raw libpq session, for looking at the database past the driver.
class RawSession {
  public:
    explicit RawSession(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {}
    ~RawSession() { PQfinish(conn_); }
    RawSession(const RawSession&) = delete;
    RawSession& operator=(const RawSession&) = delete;

    bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
    std::string error() const { return PQerrorMessage(conn_); }

    // Runs `sql`; the first column of every row, or the error's SQLSTATE (prefixed "ERROR ") as the only row.
    std::vector<std::string> Column(const std::string& sql) {
        PGresult* result = PQexec(conn_, sql.c_str());
        std::vector<std::string> out;
        const auto status = PQresultStatus(result);
        if (status == PGRES_TUPLES_OK) {
            for (int row = 0; row < PQntuples(result); ++row) out.emplace_back(PQgetvalue(result, row, 0));
        } else if (status != PGRES_COMMAND_OK) {
            const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
            out.push_back(std::string("ERROR ") + (state != nullptr ? state : "?") + " " +
                          PQresultErrorMessage(result));
        }
        PQclear(result);
        return out;
    }
    std::string One(const std::string& sql) {
        auto column = Column(sql);
        return column.size() == 1 ? column.front() : "(" + std::to_string(column.size()) + " rows)";
    }

  private:
    PGconn* conn_;
};

bool IsError(const std::string& value, const std::string& state) {
    return value.starts_with("ERROR " + state);
}

// The tables with a tenant_id column in the current schema (partitions included: each can be read by name) whose
// row-level security is not both enabled and forced, or that lack the tenant or the system policy.
std::vector<std::string> TenantTablesWithoutRls(RawSession& session) {
    return session.Column(
        "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
        "AND a.attname = 'tenant_id' AND NOT a.attisdropped AND NOT (c.relrowsecurity AND c.relforcerowsecurity "
        "AND EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'mh_tenant') "
        "AND EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'mh_system')) "
        "ORDER BY c.relname");
}

class PostgresRlsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto url = testing::PostgresServer::Instance().CreateDatabase();
        ASSERT_TRUE(url) << url.error().message;
        url_ = *url;
        auto database = Open(url_, clock_, ids_);
        ASSERT_TRUE(database) << database.error().message;
        db_ = std::move(*database);
    }

    // Two tenants, each with a device, a series, a member and an API key.
    void MakeTwoTenants() {
        auto store = db_->repositories();
        for (auto* tenant : {&a_, &b_}) {
            auto made = store.tenants().CreateTenant({tenant == &a_ ? "a" : "b", "UTC", 730});
            ASSERT_TRUE(made) << made.error().message;
            *tenant = made->id;
            const auto scope = Access::ForOperator(*tenant);
            auto device = store.devices().CreateDevice(scope, {.name = "inverter", .source = "manual"});
            ASSERT_TRUE(device) << device.error().message;
            ASSERT_TRUE(store.devices().EnsureSeries(scope, {device->id, "power", "W", SeriesKind::kGauge}));
            auto user = store.users().CreateUser({std::string(tenant == &a_ ? "a" : "b") + "@example.org", "", "x"});
            ASSERT_TRUE(user) << user.error().message;
            ASSERT_TRUE(store.users().SetMember(*tenant, user->id, Role::kOwner));
            ASSERT_TRUE(store.auth().CreateApiKey(scope, "key", tenant == &a_ ? "pa" : "pb", "hash"));
        }
    }

    // A libpq session that is the app role from its start (the role is NOLOGIN: the URL's superuser takes it, as
    // the driver does per transaction).
    std::string AppRoleConninfo() const { return url_ + "?options=-crole%3D" + kAppRole; }

    std::string url_;
    FakeClock clock_{FromMillis(1'790'000'000'000)};
    IdGenerator ids_{clock_, 1};
    std::unique_ptr<sql::SqlDatabase> db_;
    TenantId a_{0}, b_{0};
};

TEST_F(PostgresRlsTest, TheAppRoleSeesAndWritesOnlyTheTenantItSet) {
    MakeTwoTenants();
    RawSession app(AppRoleConninfo());
    ASSERT_TRUE(app.ok()) << app.error();
    // The role the tenant paths run as: not superuser, no BYPASSRLS, owner of nothing.
    ASSERT_EQ(app.One("SELECT current_user"), kAppRole);
    EXPECT_EQ(app.One("SELECT rolsuper::text || ' ' || rolbypassrls::text FROM pg_roles WHERE rolname = current_user"),
              "false false");
    EXPECT_EQ(app.One("SELECT count(*) FROM pg_class WHERE relowner = current_user::regrole"), "0");

    const std::string a = std::to_string(a_.value()), b = std::to_string(b_.value());
    // No tenant set: no rows in any tenant-owned table, and no writes.
    for (const auto& table : kTenantOwned) {
        EXPECT_EQ(app.One("SELECT count(*) FROM " + table), "0") << table;
    }
    EXPECT_TRUE(IsError(app.One("INSERT INTO devices (id, tenant_id, name, source, created_at) VALUES (91, " + a +
                                ", 'x', 'manual', 0)"),
                        "42501"));

    // Tenant A set, for this transaction only.
    ASSERT_EQ(app.One("BEGIN"), "(0 rows)");
    ASSERT_EQ(app.One("SELECT set_config('mh.tenant', '" + a + "', true)"), a);
    for (const auto& table : {"devices", "series", "memberships", "api_keys"}) {
        EXPECT_EQ(app.Column(std::string("SELECT DISTINCT tenant_id FROM ") + table), std::vector<std::string>{a})
            << table;  // A's rows, none of B's
    }
    EXPECT_EQ(app.One("SELECT count(*) FROM devices WHERE tenant_id = " + b), "0");  // even when asked by name
    // Changing B's rows finds none; moving a row to B, or adding one of B's, is refused.
    EXPECT_EQ(app.Column("UPDATE devices SET name = 'taken' WHERE tenant_id = " + b + " RETURNING id").size(), 0u);
    EXPECT_EQ(app.Column("DELETE FROM devices WHERE tenant_id = " + b + " RETURNING id").size(), 0u);
    ASSERT_EQ(app.One("SAVEPOINT s"), "(0 rows)");
    EXPECT_TRUE(IsError(app.One("INSERT INTO devices (id, tenant_id, name, source, created_at) VALUES (92, " + b +
                                ", 'x', 'manual', 0)"),
                        "42501"));
    ASSERT_EQ(app.One("ROLLBACK TO SAVEPOINT s"), "(0 rows)");
    EXPECT_TRUE(IsError(app.One("UPDATE devices SET tenant_id = " + b), "42501"));
    ASSERT_EQ(app.One("ROLLBACK"), "(0 rows)");

    // The setting ended with the transaction: nothing again (it now reads '', which the policy takes as none).
    EXPECT_EQ(app.One("SELECT count(*) FROM devices"), "0");
    // The app role cannot read what is not its business at all.
    EXPECT_TRUE(IsError(app.One("SELECT password_hash FROM users"), "42501"));
    EXPECT_TRUE(IsError(app.One("SELECT count(*) FROM leases"), "42501"));

    // The system role sees both tenants.
    RawSession system(url_ + "?options=-crole%3D" + kSystemRole);
    ASSERT_TRUE(system.ok()) << system.error();
    EXPECT_EQ(system.One("SELECT count(DISTINCT tenant_id) FROM devices"), "2");
}

TEST_F(PostgresRlsTest, EveryTableWithATenantIdHasRowLevelSecurityEnabledAndForced) {
    RawSession owner(url_);
    ASSERT_TRUE(owner.ok()) << owner.error();
    const auto tenant_tables = owner.Column(
        "SELECT DISTINCT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
        "AND a.attname = 'tenant_id' ORDER BY c.relname");
    for (const auto& table : kTenantOwned) {
        EXPECT_NE(std::find(tenant_tables.begin(), tenant_tables.end(), table), tenant_tables.end()) << table;
    }
    EXPECT_EQ(TenantTablesWithoutRls(owner), std::vector<std::string>{});
    // A table added later with a tenant_id and no RLS is caught; mh_enable_tenant_rls is the fix.
    ASSERT_EQ(owner.One("CREATE TABLE later (tenant_id bigint NOT NULL)"), "(0 rows)");
    EXPECT_EQ(TenantTablesWithoutRls(owner), std::vector<std::string>{"later"});
    ASSERT_EQ(owner.One("SELECT mh_enable_tenant_rls('later')"), "");
    EXPECT_EQ(TenantTablesWithoutRls(owner), std::vector<std::string>{});
}

TEST_F(PostgresRlsTest, ThePoolRunsEachLeaseAsItsAccessAndCarriesNothingOver) {
    MakeTwoTenants();
    // One connection, so that every lease below gets the same one.
    auto pool = PostgresPool::Open(url_, {.max_connections = 1});
    ASSERT_TRUE(pool) << pool.error().message;
    const std::string who =
        "SELECT current_user::text, COALESCE(current_setting('mh.tenant', true), ''), "
        "(SELECT count(*) FROM devices)";
    const auto ask = [&](const sql::Access& access, bool in_transaction) {
        auto lease = (*pool)->Read(access);
        EXPECT_TRUE(lease) << lease.error().message;
        std::optional<sql::Transaction> tx;
        if (in_transaction) {
            auto begun = sql::Transaction::Begin(**lease);
            EXPECT_TRUE(begun) << begun.error().message;
            tx.emplace(std::move(*begun));
        }
        auto stmt = (*lease)->Cached(who);
        EXPECT_TRUE(stmt) << stmt.error().message;
        auto row = (*stmt)->Step();
        EXPECT_TRUE(row && *row) << (row ? "no row" : row.error().message);
        std::string out = (*stmt)->Text(0) + " " + (*stmt)->Text(1) + " " + (*stmt)->Text(2);
        (*stmt)->Reset();
        if (tx) {
            EXPECT_TRUE(tx->Commit());
        }
        return out;
    };
    const std::string a = std::to_string(a_.value());
    for (bool in_transaction : {false, true}) {  // a statement on its own, and in a transaction
        SCOPED_TRACE(in_transaction ? "in a transaction" : "on its own");
        EXPECT_EQ(ask(sql::Access::Tenant(Access::ForOperator(a_)), in_transaction),
                  std::string(kAppRole) + " " + a + " 1");
        EXPECT_EQ(ask(sql::Access::System(), in_transaction), std::string(kSystemRole) + "  2");
        EXPECT_EQ(ask(sql::Access::Owner(), in_transaction), "postgres  2");  // the superuser: RLS does not bind it
        EXPECT_EQ(ask(sql::Access::Tenant(Access::ForOperator(b_)), in_transaction),
                  std::string(kAppRole) + " " + std::to_string(b_.value()) + " 1");
    }
    EXPECT_EQ((*pool)->open_connections(), 1);
}

TEST_F(PostgresRlsTest, AnOwnerThatIsNotSuperuserMigratesOnceGivenTheRoles) {
    // What docs/schema.md tells an operator whose database user may not create roles: a login role that owns
    // the database, and the two roles made and granted to it beforehand by someone who may. NOINHERIT, so that
    // the membership lets it take the roles (SET ROLE) without their policies applying to it as itself.
    const std::string owner = "mh_owner_" + std::to_string(getpid());
    const std::string database = url_.substr(url_.rfind('/') + 1) + "_owned";
    RawSession admin(url_);
    ASSERT_TRUE(admin.ok()) << admin.error();
    ASSERT_EQ(admin.One("CREATE ROLE " + owner + " LOGIN NOINHERIT"), "(0 rows)");
    ASSERT_EQ(admin.One("CREATE DATABASE " + database + " OWNER " + owner), "(0 rows)");
    const std::string owned_url = url_.substr(0, url_.rfind('/') + 1) + database;
    {
        // NOINHERIT also drops what the owner would get through pg_database_owner: the schema is given outright.
        RawSession owned_admin(owned_url);
        ASSERT_EQ(owned_admin.One("ALTER SCHEMA public OWNER TO " + owner), "(0 rows)");
    }
    std::string owner_url = owned_url;
    owner_url.replace(owner_url.find("postgres@"), 9, owner + "@");

    {
        auto refused = Open(owner_url, clock_, ids_);
        ASSERT_FALSE(refused);
        EXPECT_NE(refused.error().message.find("not a member of role"), std::string::npos) << refused.error().message;
    }
    ASSERT_EQ(admin.One(std::string("GRANT ") + kAppRole + ", " + kSystemRole + " TO " + owner), "(0 rows)");
    {
        auto opened = Open(owner_url, clock_, ids_);
        ASSERT_TRUE(opened) << opened.error().message;
        auto store = (*opened)->repositories();
        auto tenant = store.tenants().CreateTenant({"t", "UTC", 730});
        ASSERT_TRUE(tenant) << tenant.error().message;
        ASSERT_TRUE(store.devices().CreateDevice(Access::ForOperator(tenant->id), {.name = "d", .source = "manual"}));
        EXPECT_EQ(store.devices().ListDevices(Access::ForOperator(tenant->id))->size(), 1u);
        // Forced: the owner itself, without a tenant, sees none of the rows.
        RawSession as_owner(owner_url);
        ASSERT_TRUE(as_owner.ok()) << as_owner.error();
        EXPECT_EQ(as_owner.One("SELECT count(*) FROM devices"), "0");
        EXPECT_EQ(TenantTablesWithoutRls(as_owner), std::vector<std::string>{});
    }
    EXPECT_EQ(admin.One("DROP DATABASE " + database + " WITH (FORCE)"), "(0 rows)");
    EXPECT_EQ(admin.One("DROP OWNED BY " + owner + "; DROP ROLE " + owner), "(0 rows)");
}

// What the tenant costs per call, on loopback: one statement on its own and a ten-statement transaction, as the
// owner (no role, no tenant: the superuser, whom RLS does not bind), as a tenant (the driver's set_config,
// pipelined or folded into BEGIN) and as a tenant set the plain way (its own round trips: BEGIN and set_config,
// the statement, COMMIT). Prints microseconds per call, the best of several runs. Run by hand:
//   build/test/tests/unit/postgres_driver_test --gtest_also_run_disabled_tests --gtest_filter='*Speed*'
TEST_F(PostgresRlsTest, DISABLED_SpeedOfScopedCalls) {
    MakeTwoTenants();
    auto pool = PostgresPool::Open(url_, {.max_connections = 1});
    ASSERT_TRUE(pool) << pool.error().message;
    const std::string a = std::to_string(a_.value());
    const std::string query = "SELECT count(*) FROM devices WHERE tenant_id = ?";
    constexpr int kCalls = 3000;
    constexpr int kRepeats = 5;
    std::int64_t rows = 0;
    const auto one = [&](sql::Connection& c) {
        auto stmt = *c.Cached(query);
        stmt->Bind(1, a_.value());
        EXPECT_TRUE(*stmt->Step());
        rows += stmt->Int(0);
        stmt->Reset();
    };
    const auto best_us = [&](const sql::Access& access, bool plain, int statements) {
        double best = 1e9;
        for (int r = 0; r < kRepeats; ++r) {
            auto lease = *(*pool)->Read(access);
            const auto start = std::chrono::steady_clock::now();
            for (int i = 0; i < kCalls; ++i) {
                if (plain) {
                    EXPECT_TRUE(lease->Exec("BEGIN; SET LOCAL ROLE " + std::string(kAppRole) +
                                            "; SELECT set_config('mh.tenant', '" + a + "', true)"));
                    one(*lease);
                    EXPECT_TRUE(lease->Exec("COMMIT"));
                } else if (statements == 1) {
                    one(*lease);
                } else {
                    auto tx = *sql::Transaction::Begin(*lease);
                    for (int k = 0; k < statements; ++k) one(*lease);
                    EXPECT_TRUE(tx.Commit());
                }
            }
            const std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
            best = std::min(best, took.count() / kCalls);
        }
        return best;
    };
    const auto tenant = sql::Access::Tenant(Access::ForOperator(a_));
    std::printf("one statement: owner %.1f us, tenant (pipelined) %.1f us, tenant (plain BEGIN/set/COMMIT) %.1f us\n",
                best_us(sql::Access::Owner(), false, 1), best_us(tenant, false, 1),
                best_us(sql::Access::Owner(), true, 1));
    std::printf("transaction of 10 statements: owner %.1f us, tenant %.1f us\n",
                best_us(sql::Access::Owner(), false, 10), best_us(tenant, false, 10));
    EXPECT_EQ(rows, std::int64_t{kCalls} * kRepeats * (1 + 1 + 1 + 10 + 10));  // one device of A's each time
}

}  // namespace
}  // namespace mh::store::postgres
