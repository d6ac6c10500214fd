#include "api/router.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mh::api {
namespace {

using net::Method;

class RouterTest : public ::testing::Test {
  protected:
    void SetUp() override {
        router_.Add(Method::kGet, "/healthz", 1);
        router_.Add(Method::kGet, "/api/v1/tenants/{tenant}/devices", 2);
        router_.Add(Method::kPost, "/api/v1/tenants/{tenant}/devices", 3);
        router_.Add(Method::kGet, "/api/v1/tenants/{tenant}/devices/new", 4);  // before {device}: wins
        router_.Add(Method::kGet, "/api/v1/tenants/{tenant}/devices/{device}", 5);
        router_.Add(Method::kDelete, "/api/v1/tenants/{tenant}/devices/{device}", 6);
    }
    Router<int> router_;
};

TEST_F(RouterTest, LiteralRoutesMatchExactly) {
    auto match = router_.Find(Method::kGet, "/healthz");
    ASSERT_NE(match.target, nullptr);
    EXPECT_EQ(*match.target, 1);
    EXPECT_EQ(*match.pattern, "/healthz");
    EXPECT_TRUE(match.params.empty());
    EXPECT_EQ(router_.Find(Method::kGet, "/healthz/x").target, nullptr);
    EXPECT_EQ(router_.Find(Method::kGet, "/health").target, nullptr);
    EXPECT_EQ(router_.Find(Method::kGet, "/").target, nullptr);
}

TEST_F(RouterTest, ParametersAreCapturedFromTheRouteFound) {
    auto match = router_.Find(Method::kDelete, "/api/v1/tenants/7/devices/42");
    ASSERT_NE(match.target, nullptr);
    EXPECT_EQ(*match.target, 6);
    EXPECT_EQ(match.params.size(), 2u);
    EXPECT_EQ(match.params.at("tenant"), "7");
    EXPECT_EQ(match.params.at("device"), "42");
}

TEST_F(RouterTest, EarlierRoutesWin) {
    auto match = router_.Find(Method::kGet, "/api/v1/tenants/7/devices/new");
    ASSERT_NE(match.target, nullptr);
    EXPECT_EQ(*match.target, 4);
    EXPECT_EQ(match.params.size(), 1u);
}

TEST_F(RouterTest, ExtraAndDoubledSlashesAreIgnoredLikeEmptySegments) {
    auto match = router_.Find(Method::kGet, "//api/v1//tenants/7/devices/");
    ASSERT_NE(match.target, nullptr);
    EXPECT_EQ(*match.target, 2);
}

TEST_F(RouterTest, WrongMethodListsTheAllowedOnes) {
    auto match = router_.Find(Method::kPut, "/api/v1/tenants/7/devices/42");
    EXPECT_EQ(match.target, nullptr);
    EXPECT_EQ(match.allowed, (std::vector<Method>{Method::kGet, Method::kDelete}));
    EXPECT_TRUE(match.params.empty());
}

TEST_F(RouterTest, HeadIsServedByGetRoutes) {
    auto match = router_.Find(Method::kHead, "/api/v1/tenants/7/devices");
    ASSERT_NE(match.target, nullptr);
    EXPECT_EQ(*match.target, 2);
}

TEST(RouterSegments, PatternsStayValidAsRoutesAreAdded) {
    Router<int> router;  // short patterns live inside their std::string: adding routes must not move them
    for (int i = 0; i < 500; ++i) router.Add(Method::kGet, "/r" + std::to_string(i) + "/{x}", i);
    for (int i = 0; i < 500; i += 37) {
        auto match = router.Find(Method::kGet, "/r" + std::to_string(i) + "/v");
        ASSERT_NE(match.target, nullptr) << i;
        EXPECT_EQ(*match.target, i);
        EXPECT_EQ(match.params.at("x"), "v");
    }
    int seen = 0;
    router.ForEach([&](Method, const std::string& pattern, int target) {
        EXPECT_EQ(pattern, "/r" + std::to_string(target) + "/{x}");
        ++seen;
    });
    EXPECT_EQ(seen, 500);
}

}  // namespace
}  // namespace mh::api
