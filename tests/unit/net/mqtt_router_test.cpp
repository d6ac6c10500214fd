// MqttRouter: exact and wildcard filters, replacement, removal and MQTT's matching rules.
#include "net/mqtt_router.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mh::net {
namespace {

std::vector<std::string> Matches(const MqttRouter<int>& router, const std::string& topic) {
    std::vector<std::string> out;
    router.ForEachMatch(topic, [&](const std::string& filter, int) { out.push_back(filter); });
    return out;
}

TEST(MqttRouter, FindsExactAndWildcardFilters) {
    MqttRouter<int> router;
    EXPECT_FALSE(router.Set("a/1/reply", 1));
    EXPECT_FALSE(router.Set("a/+", 2));
    EXPECT_FALSE(router.Set("solar/#", 3));
    EXPECT_FALSE(router.Set("#", 4));
    EXPECT_EQ(router.size(), 4u);
    EXPECT_EQ(Matches(router, "a/1/reply"), (std::vector<std::string>{"a/1/reply", "#"}));
    EXPECT_EQ(Matches(router, "a/1"), (std::vector<std::string>{"#", "a/+"}));
    EXPECT_EQ(Matches(router, "solar"), (std::vector<std::string>{"#", "solar/#"}));  // # also matches the parent
    EXPECT_EQ(Matches(router, "solar/1161/0/power"), (std::vector<std::string>{"#", "solar/#"}));
    EXPECT_TRUE(Matches(router, "$SYS/broker/uptime").empty());  // a leading wildcard never matches $ topics
}

TEST(MqttRouter, ReplacesAndRemoves) {
    MqttRouter<int> router;
    router.Set("a/+", 1);
    EXPECT_EQ(router.Set("a/+", 2), 1);
    EXPECT_EQ(*router.Find("a/+"), 2);
    EXPECT_EQ(router.Remove("a/+"), 2);
    EXPECT_FALSE(router.Remove("a/+"));
    EXPECT_EQ(router.Find("a/+"), nullptr);
    router.Set("x", 5);
    EXPECT_EQ(router.Remove("x"), 5);
    EXPECT_EQ(router.size(), 0u);
    EXPECT_TRUE(Matches(router, "x").empty());
}

TEST(MqttRouter, KnowsWildcards) {
    EXPECT_TRUE(MqttHasWildcards("a/+/b"));
    EXPECT_TRUE(MqttHasWildcards("#"));
    EXPECT_FALSE(MqttHasWildcards("a/b"));
    EXPECT_TRUE(MqttTopicMatches("a/+/c", "a/b/c"));
    EXPECT_FALSE(MqttTopicMatches("a/+/c", "a/b/d/c"));
}

}  // namespace
}  // namespace mh::net
