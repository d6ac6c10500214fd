#include "net/target.hpp"

#include <gtest/gtest.h>

#include "net/http.hpp"

namespace mh::net {
namespace {

TEST(ParseTargetTest, SplitsPathAndQueryAndDecodesThePath) {
    auto target = ParseTarget("/api/v1/devices/a%20b?from=2024-01-01&x=%41");
    ASSERT_TRUE(target) << target.error().message;
    EXPECT_EQ(target->path, "/api/v1/devices/a b");
    EXPECT_EQ(target->query, "from=2024-01-01&x=%41");  // the query stays raw
}

TEST(ParseTargetTest, AcceptsAbsoluteAndAsteriskForms) {
    auto absolute = ParseTarget("http://example.com:8080/a/b?c=d");
    ASSERT_TRUE(absolute);
    EXPECT_EQ(absolute->path, "/a/b");
    EXPECT_EQ(absolute->query, "c=d");
    auto bare_host = ParseTarget("HTTPS://example.com");
    ASSERT_TRUE(bare_host);
    EXPECT_EQ(bare_host->path, "/");
    auto asterisk = ParseTarget("*");
    ASSERT_TRUE(asterisk);
    EXPECT_EQ(asterisk->path, "*");
}

TEST(ParseTargetTest, KeepsEmptySegmentsAndPlusSigns) {
    auto target = ParseTarget("//a//b+c/");
    ASSERT_TRUE(target);
    EXPECT_EQ(target->path, "//a//b+c/");  // '+' is a space only in queries
}

TEST(ParseTargetTest, RejectsDotSegmentsPlainOrEncoded) {
    for (const char* bad : {"/../x", "/a/..", "/a/../b", "/a/%2e%2e/%2e%2e/etc/passwd", "/a/%2E%2E/b", "/a%2f..%2fb",
                            "/./a", "/a/.", "/a/%2e/b"}) {
        auto target = ParseTarget(bad);
        ASSERT_FALSE(target) << bad;
        EXPECT_EQ(target.error().code, Errc::kInvalidArgument);
    }
    for (const char* fine : {"/a/..b", "/a/b..", "/...", "/.hidden", "/a.b/c"}) {
        EXPECT_TRUE(ParseTarget(fine)) << fine;
    }
}

TEST(ParseTargetTest, RejectsMalformedPercentEncoding) {
    for (const char* bad : {"/a%zz", "/a%2", "/a%", "/%g0", "/ok?x=%zz", "/ok?x=%4"}) {
        EXPECT_FALSE(ParseTarget(bad)) << bad;
    }
}

TEST(ParseTargetTest, RejectsNulAndControlCharacters) {
    EXPECT_FALSE(ParseTarget("/a%00b"));
    EXPECT_FALSE(ParseTarget("/a%0d%0aSet-Cookie:x"));
    EXPECT_FALSE(ParseTarget("/a%7f"));
    EXPECT_FALSE(ParseTarget(std::string_view("/a\0b", 4)));
    EXPECT_FALSE(ParseTarget("/a b"));
    EXPECT_FALSE(ParseTarget("/a\x80"));
}

TEST(ParseTargetTest, RejectsOtherShapes) {
    EXPECT_FALSE(ParseTarget(""));
    EXPECT_FALSE(ParseTarget("a/b"));
    EXPECT_FALSE(ParseTarget("?x=1"));
    EXPECT_FALSE(ParseTarget("/a#frag"));
    EXPECT_FALSE(ParseTarget("ftp://host/a"));
}

TEST(PercentDecodeTest, DecodesAndOptionallyTreatsPlusAsSpace) {
    EXPECT_EQ(PercentDecode("a%2Fb%2fc").value(), "a/b/c");
    EXPECT_EQ(PercentDecode("a+b").value(), "a+b");
    EXPECT_EQ(PercentDecode("a+b%2B", /*plus_as_space=*/true).value(), "a b+");
    EXPECT_EQ(PercentDecode("%e2%82%ac").value(), "\xe2\x82\xac");
    EXPECT_FALSE(PercentDecode("%"));
    EXPECT_FALSE(PercentDecode("%a"));
    EXPECT_FALSE(PercentDecode("%ag"));
}

TEST(RequestTest, ParamDecodesAndReturnsTheFirst) {
    Request request;
    request.query = "a=1&b=x+y%21&a=2&flag&empty=&sp%61ced=ok&bad=%zz";
    EXPECT_EQ(request.Param("a"), "1");
    EXPECT_EQ(request.Param("b"), "x y!");
    EXPECT_EQ(request.Param("flag"), "");
    EXPECT_EQ(request.Param("empty"), "");
    EXPECT_EQ(request.Param("spaced"), "ok");
    EXPECT_EQ(request.Param("missing"), std::nullopt);
    EXPECT_EQ(request.Param("bad"), std::nullopt);
    request.query = "";
    EXPECT_EQ(request.Param("a"), std::nullopt);
}

TEST(RequestTest, HeaderFindsTheFirstIgnoringCase) {
    Request request;
    request.headers = {{"content-type", "text/plain"}, {"x-a", "1"}, {"x-a", "2"}};
    EXPECT_EQ(request.Header("content-type"), "text/plain");
    EXPECT_EQ(request.Header("Content-Type"), "text/plain");
    EXPECT_EQ(request.Header("x-a"), "1");
    EXPECT_EQ(request.Header("x-b"), std::nullopt);
}

TEST(MethodTest, NamesEveryMethod) {
    EXPECT_STREQ(MethodName(Method::kGet), "GET");
    EXPECT_STREQ(MethodName(Method::kHead), "HEAD");
    EXPECT_STREQ(MethodName(Method::kPost), "POST");
    EXPECT_STREQ(MethodName(Method::kPut), "PUT");
    EXPECT_STREQ(MethodName(Method::kPatch), "PATCH");
    EXPECT_STREQ(MethodName(Method::kDelete), "DELETE");
    EXPECT_STREQ(MethodName(Method::kOptions), "OPTIONS");
    EXPECT_STREQ(MethodName(Method::kOther), "OTHER");
}

}  // namespace
}  // namespace mh::net
