// RewritePlaceholders: the portable `?`/`?N` placeholders become PostgreSQL's `$N`, and nothing else changes.
#include <gtest/gtest.h>

#include "store/postgres/placeholders.hpp"

namespace mh::store::postgres {
namespace {

std::string Rewritten(std::string_view sql, int* parameters = nullptr) {
    auto out = RewritePlaceholders(sql);
    EXPECT_TRUE(out) << out.error().message;
    if (!out) return {};
    if (parameters != nullptr) *parameters = out->parameters;
    return out->text;
}

TEST(PostgresPlaceholders, PlainMarksCountUp) {
    int n = 0;
    EXPECT_EQ(Rewritten("INSERT INTO t (a, b, c) VALUES (?, ?, ?)", &n), "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)");
    EXPECT_EQ(n, 3);
    EXPECT_EQ(Rewritten("SELECT 1", &n), "SELECT 1");
    EXPECT_EQ(n, 0);
}

TEST(PostgresPlaceholders, NumberedMarksNameTheirParameter) {
    int n = 0;
    EXPECT_EQ(Rewritten("UPDATE t SET a = COALESCE(?1, a), b = ?5 WHERE c = ?3 AND d = ?4 OR e = ?1", &n),
              "UPDATE t SET a = COALESCE($1, a), b = $5 WHERE c = $3 AND d = $4 OR e = $1");
    EXPECT_EQ(n, 5);
    EXPECT_EQ(Rewritten("VALUES (?12)", &n), "VALUES ($12)");
    EXPECT_EQ(n, 12);
}

TEST(PostgresPlaceholders, MixedMarksFollowSqlite) {
    // As in SQLite, a bare `?` takes the number after the largest so far.
    int n = 0;
    EXPECT_EQ(Rewritten("SELECT ?3, ?, ?1, ?", &n), "SELECT $3, $4, $1, $5");
    EXPECT_EQ(n, 5);
}

TEST(PostgresPlaceholders, QuotedTextAndCommentsAreLeftAlone) {
    int n = 0;
    EXPECT_EQ(Rewritten("SELECT '?', 'it''s ?', ? FROM \"odd?\"\"name\" WHERE x = ?", &n),
              "SELECT '?', 'it''s ?', $1 FROM \"odd?\"\"name\" WHERE x = $2");
    EXPECT_EQ(n, 2);
    EXPECT_EQ(Rewritten("SELECT E'a\\'?', ? -- what?\n, ? /* why? /* nested? */ still? */ , ?", &n),
              "SELECT E'a\\'?', $1 -- what?\n, $2 /* why? /* nested? */ still? */ , $3");
    EXPECT_EQ(n, 3);
    // A plain literal ends at a quote even after a backslash (standard_conforming_strings).
    EXPECT_EQ(Rewritten("SELECT 'a\\', ?"), "SELECT 'a\\', $1");
    EXPECT_EQ(Rewritten("SELECT $$ ? $$, $tag$ it's ? $tag$, ?"), "SELECT $$ ? $$, $tag$ it's ? $tag$, $1");
    EXPECT_EQ(Rewritten("SELECT x::text, a$b, ?"), "SELECT x::text, a$b, $1");
}

TEST(PostgresPlaceholders, MalformedTextIsRefused) {
    for (const char* bad :
         {"SELECT ?0", "SELECT 'open", "SELECT \"open", "SELECT /* open", "SELECT $x$ open", "SELECT ?99999999"}) {
        auto out = RewritePlaceholders(bad);
        ASSERT_FALSE(out) << bad;
        EXPECT_EQ(out.error().code, Errc::kInvalidArgument) << bad;
    }
}

}  // namespace
}  // namespace mh::store::postgres
