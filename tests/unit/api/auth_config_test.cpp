// The [auth] section on its own.
#include "api/auth_config.hpp"

#include <gtest/gtest.h>

namespace mh::api {
namespace {

std::string Verdict(const AuthConfig& config) {
    auto status = config.Validate();
    return status ? std::string("valid") : status.error().message;
}

TEST(AuthConfigTest, ASecretIsEmptyOrLongEnough) {
    AuthConfig auth;
    EXPECT_EQ(Verdict(auth), "valid") << "empty: generated";
    auth.jwt_secret = std::string(31, 'k');
    EXPECT_EQ(Verdict(auth), "config: auth.jwt_secret must be at least 32 characters (or empty to generate one)");
    auth.jwt_secret = std::string(32, 'k');
    EXPECT_EQ(Verdict(auth), "valid");
}

TEST(AuthConfigTest, LifetimesAndBudgetsHaveFloors) {
    AuthConfig auth;
    auth.token_lifetime_s = 59;
    EXPECT_EQ(Verdict(auth), "config: auth.token_lifetime_s must be at least 60");
    auth = {};
    auth.login_attempts_per_minute = 0;
    EXPECT_EQ(Verdict(auth), "config: auth.login_attempts_per_minute must be at least 1");
    auth = {};
    auth.api_requests_per_minute = 0;
    EXPECT_EQ(Verdict(auth), "config: auth.api_requests_per_minute must be at least 1");
}

}  // namespace
}  // namespace mh::api
