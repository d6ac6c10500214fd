// The PostgreSQL driver against the binary's real server (tests/postgres_server.hpp): values in and out in
// binary, errors mapped as on SQLite, the pool's bound and reconnects, and migrations when two instances start at
// once. The repositories themselves are in the conformance suite (store_conformance_test.cpp).
#include <gtest/gtest.h>

#include <latch>
#include <limits>
#include <thread>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "postgres_server.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/open.hpp"
#include "store/postgres/pool.hpp"
#include "store/postgres/schema.hpp"

namespace mh::store::postgres {
namespace {

class PostgresDriverTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto url = testing::PostgresServer::Instance().CreateDatabase();
        ASSERT_TRUE(url) << url.error().message;
        url_ = *url;
        auto connection = Connection::Open(url_, false);
        ASSERT_TRUE(connection) << connection.error().message;
        db_ = std::move(*connection);
    }

    std::string url_;
    std::unique_ptr<Connection> db_;
};

TEST_F(PostgresDriverTest, ValuesRoundTripInBinary) {
    ASSERT_TRUE(db_->Exec("CREATE TABLE v (id bigint PRIMARY KEY, i bigint, r double precision, t text, b bytea)"));
    std::vector<std::uint8_t> every_byte;
    for (int i = 0; i < 256; ++i) every_byte.push_back(static_cast<std::uint8_t>(i));
    auto insert = *db_->Cached("INSERT INTO v (id, i, r, t, b) VALUES (?, ?, ?, ?, ?)");
    ASSERT_TRUE(insert->Bind(1, std::int64_t{1})
                    .Bind(2, std::numeric_limits<std::int64_t>::min())
                    .Bind(3, -0.1)
                    .Bind(4, "Grüße, ☀ 'quoted' ?")
                    .Bind(5, std::span<const std::uint8_t>(every_byte))
                    .Run());
    EXPECT_EQ(db_->Changes(), 1);
    insert = *db_->Cached("INSERT INTO v (id, i, r, t, b) VALUES (?, ?, ?, ?, ?)");
    ASSERT_TRUE(insert->Bind(1, std::int64_t{2})
                    .Bind(2, std::numeric_limits<std::int64_t>::max())
                    .BindNull(3)
                    .Bind(4, "")
                    .Bind(5, std::span<const std::uint8_t>())
                    .Run());

    auto select = *db_->Cached("SELECT id, i, r, t, b FROM v ORDER BY id");
    ASSERT_TRUE(*select->Step());
    EXPECT_EQ(select->Int(1), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(select->Real(2), -0.1);
    EXPECT_EQ(select->Text(3), "Grüße, ☀ 'quoted' ?");
    const auto blob = select->Blob(4);
    EXPECT_EQ(std::vector<std::uint8_t>(blob.begin(), blob.end()), every_byte);
    ASSERT_TRUE(*select->Step());
    EXPECT_EQ(select->Int(1), std::numeric_limits<std::int64_t>::max());
    EXPECT_TRUE(select->IsNull(2));
    EXPECT_FALSE(select->IsNull(3));
    EXPECT_EQ(select->Text(3), "");
    EXPECT_FALSE(select->IsNull(4));
    EXPECT_TRUE(select->Blob(4).empty());
    EXPECT_FALSE(*select->Step());
}

TEST_F(PostgresDriverTest, NumbersOfEveryIntegerTypeAndSumsRead) {
    ASSERT_TRUE(db_->Exec("CREATE TABLE n (x bigint); INSERT INTO n VALUES (4000000000000), (5), (-7)"));
    // SUM over bigint is numeric; COUNT is int8, a literal int4, a comparison bool.
    auto stmt = *db_->Prepare(
        "SELECT SUM(x), COUNT(*), 42, 1 < 2, 2.5::numeric, -12345.678::numeric, "
        "CAST(3 AS smallint), CAST(0.25 AS real) FROM n");
    ASSERT_TRUE(*stmt->Step());
    EXPECT_EQ(stmt->Int(0), 3999999999998);
    EXPECT_EQ(stmt->Int(1), 3);
    EXPECT_EQ(stmt->Int(2), 42);
    EXPECT_EQ(stmt->Int(3), 1);
    EXPECT_DOUBLE_EQ(stmt->Real(4), 2.5);
    EXPECT_DOUBLE_EQ(stmt->Real(5), -12345.678);
    EXPECT_EQ(stmt->Int(6), 3);
    EXPECT_DOUBLE_EQ(stmt->Real(7), 0.25);
    EXPECT_EQ(stmt->Text(2), "42");
}

TEST_F(PostgresDriverTest, AColumnOfAnUnreadTypeIsAClearError) {
    auto stmt = *db_->Prepare("SELECT now() AS started");
    auto step = stmt->Step();
    ASSERT_FALSE(step);
    EXPECT_EQ(step.error().code, Errc::kInternal);
    EXPECT_NE(step.error().message.find("started"), std::string::npos) << step.error().message;
    EXPECT_NE(step.error().message.find("cast it"), std::string::npos) << step.error().message;
}

TEST_F(PostgresDriverTest, ConstraintViolationsAreAlreadyExistsAsOnSqlite) {
    ASSERT_TRUE(
        db_->Exec("CREATE TABLE p (id bigint PRIMARY KEY, name text UNIQUE); "
                  "CREATE TABLE c (p bigint REFERENCES p(id))"));
    auto insert = *db_->Cached("INSERT INTO p (id, name) VALUES (?, ?)");
    ASSERT_TRUE(insert->Bind(1, std::int64_t{1}).Bind(2, "a").Run());
    insert = *db_->Cached("INSERT INTO p (id, name) VALUES (?, ?)");
    auto unique = insert->Bind(1, std::int64_t{2}).Bind(2, "a").Run();
    ASSERT_FALSE(unique);
    EXPECT_EQ(unique.error().code, Errc::kAlreadyExists);
    auto child = *db_->Prepare("INSERT INTO c (p) VALUES (?)");
    auto foreign = child->Bind(1, std::int64_t{99}).Run();
    ASSERT_FALSE(foreign);
    EXPECT_EQ(foreign.error().code, Errc::kAlreadyExists);
    // The connection is fine afterwards, and a transaction that saw an error does not commit quietly.
    ASSERT_TRUE(db_->Begin());
    EXPECT_FALSE(insert->Reset().Bind(1, std::int64_t{3}).Bind(2, "a").Run());
    EXPECT_FALSE(db_->Exec("COMMIT"));
    EXPECT_FALSE(db_->in_transaction());
}

TEST_F(PostgresDriverTest, ANullTheServerCannotTypeIsSentAsText) {
    ASSERT_TRUE(
        db_->Exec("CREATE TABLE d (id bigint, serial text, r double precision); "
                  "INSERT INTO d VALUES (1, 'x', 2.5)"));
    // ?1 alone in `IS NULL` has no type; ?3, also NULL, is inferred as a double (text would not match r).
    const std::string sql =
        "UPDATE d SET serial = CASE WHEN ?1 IS NULL THEN serial ELSE NULLIF(?1, '') END, "
        "r = COALESCE(?3, r) WHERE id = ?2";
    for (auto* stmt : {*db_->Cached(sql), *db_->Cached(sql)}) {  // prepared once, then from the cache
        auto nulled = stmt->BindNull(1).Bind(2, std::int64_t{1}).BindNull(3).Run();
        ASSERT_TRUE(nulled) << nulled.error().message;
        EXPECT_EQ(db_->Changes(), 1);
    }
    auto set = *db_->Cached(sql);
    ASSERT_TRUE(set->Bind(1, "y").Bind(2, std::int64_t{1}).BindNull(3).Run());
    auto read = *db_->Prepare("SELECT serial, r FROM d");
    ASSERT_TRUE(*read->Step());
    EXPECT_EQ(read->Text(0), "y");
    EXPECT_EQ(read->Real(1), 2.5);
}

TEST_F(PostgresDriverTest, AnExhaustedPoolAnswersUnavailable) {
    auto pool = PostgresPool::Open(url_, {.max_connections = 1, .acquire_timeout = std::chrono::milliseconds(50)});
    ASSERT_TRUE(pool) << pool.error().message;
    {
        auto held = (*pool)->Write(sql::Access::Owner());
        ASSERT_TRUE(held);
        auto second = (*pool)->Read(sql::Access::Owner());
        ASSERT_FALSE(second);
        EXPECT_EQ(second.error().code, Errc::kUnavailable);
        EXPECT_NE(second.error().message.find("busy"), std::string::npos);
    }
    EXPECT_TRUE((*pool)->Read(sql::Access::Owner()));  // given back
    EXPECT_EQ((*pool)->open_connections(), 1);
}

TEST_F(PostgresDriverTest, ALostConnectionIsUnavailableAndReplacedOnTheNextLease) {
    auto pool = *PostgresPool::Open(url_, {.max_connections = 2});
    {
        auto lease = *pool->Read(sql::Access::Owner());
        auto pid = *lease->Prepare("SELECT pg_backend_pid()");
        ASSERT_TRUE(*pid->Step());
        const std::int64_t backend = pid->Int(0);
        // An int64 binds as bigint; this function takes an integer.
        auto kill = *db_->Prepare("SELECT pg_terminate_backend(CAST(? AS integer))");
        ASSERT_TRUE(kill->Bind(1, backend).Run());
        // The server ends the session; the next statement on it finds the connection gone.
        ASSERT_TRUE(testing::WaitFor([&] {
            auto probe = lease->Exec("SELECT 1");
            return !probe && probe.error().code == Errc::kUnavailable;
        }));
    }
    auto fresh = *pool->Read(sql::Access::Owner());
    auto probe = *fresh->Prepare("SELECT 1");
    ASSERT_TRUE(probe->Step());
    EXPECT_EQ(probe->Int(0), 1);
}

TEST_F(PostgresDriverTest, ReadOnlyConnectionsRefuseWrites) {
    ASSERT_TRUE(db_->Exec("CREATE TABLE w (x bigint)"));
    auto reader = *Connection::Open(url_, true);
    auto status = reader->Exec("INSERT INTO w VALUES (1)");
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, Errc::kUnavailable);
}

TEST_F(PostgresDriverTest, TwoInstancesOpeningAtOnceMigrateOnce) {
    FakeClock clock(FromMillis(1'790'000'000'000));
    IdGenerator ids_a(clock, 1), ids_b(clock, 2);
    std::latch start(2);
    Result<std::unique_ptr<sql::SqlDatabase>> a = MakeError(Errc::kInternal, "not run");
    Result<std::unique_ptr<sql::SqlDatabase>> b = MakeError(Errc::kInternal, "not run");
    std::thread first([&] {
        start.arrive_and_wait();
        a = Open(url_, clock, ids_a);
    });
    std::thread second([&] {
        start.arrive_and_wait();
        b = Open(url_, clock, ids_b);
    });
    first.join();
    second.join();
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(*(*a)->SchemaVersion(), LatestSchemaVersion());
    EXPECT_EQ(*(*b)->Migrate(), 0);
    auto recorded = *db_->Prepare("SELECT COUNT(*), COUNT(DISTINCT version), MAX(version) FROM schema_migrations");
    ASSERT_TRUE(*recorded->Step());
    const auto migrations = static_cast<std::int64_t>(Migrations().size());
    EXPECT_EQ(recorded->Int(0), migrations);  // each migration once
    EXPECT_EQ(recorded->Int(1), migrations);
    EXPECT_EQ(recorded->Int(2), LatestSchemaVersion());
}

TEST_F(PostgresDriverTest, ADatabaseFromTheFutureIsRefused) {
    FakeClock clock(FromMillis(1'790'000'000'000));
    IdGenerator ids(clock, 1);
    ASSERT_TRUE(Open(url_, clock, ids));
    ASSERT_TRUE(db_->Exec("INSERT INTO schema_migrations VALUES (999, 'future', 0)"));
    auto reopened = Open(url_, clock, ids);
    ASSERT_FALSE(reopened);
    EXPECT_EQ(reopened.error().code, Errc::kFailedPrecondition);
    EXPECT_NE(reopened.error().message.find("newer"), std::string::npos);
}

TEST(PostgresConninfo, DescribingNeverShowsThePassword) {
    EXPECT_EQ(DescribeConninfo("postgresql://app:s3cret@db.example:5433/meterhub"),
              "postgresql://app@db.example:5433/meterhub");
    EXPECT_EQ(DescribeConninfo("host=h user=u password=p dbname=d").find('p', 13), std::string::npos);
}

TEST(PostgresConninfo, AnUnreachableServerIsUnavailable) {
    const auto port = testing::FreeLoopbackPort();
    auto opened = Connection::Open("postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/x", false);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code, Errc::kUnavailable);
}

}  // namespace
}  // namespace mh::store::postgres
