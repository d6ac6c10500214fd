#include "api/auth_config.hpp"

namespace mh::api {

void AuthConfig::Describe(config::Section& section) {
    section
        .Key("jwt_secret", jwt_secret,
             "HS256 secret, at least 32 characters; empty: generated into <storage.path>-secret (SQLite only)")
        .Key("token_lifetime_s", token_lifetime_s, "bearer token lifetime (s)")
        .Key("login_attempts_per_minute", login_attempts_per_minute,
             "login, sign-up and reset attempts per address and account")
        .Key("api_requests_per_minute", api_requests_per_minute, "API requests per token or API key; more get 429")
        .Key("cookie_secure", cookie_secure,
             "mark the browser session cookie Secure (users reach meterhub over HTTPS)");
}

Status AuthConfig::Validate() const {
    if (!jwt_secret.empty() && jwt_secret.size() < 32) {
        return config::Invalid("auth.jwt_secret must be at least 32 characters (or empty to generate one)");
    }
    if (token_lifetime_s < 60) return config::Invalid("auth.token_lifetime_s must be at least 60");
    if (login_attempts_per_minute < 1) return config::Invalid("auth.login_attempts_per_minute must be at least 1");
    if (api_requests_per_minute < 1) return config::Invalid("auth.api_requests_per_minute must be at least 1");
    return Ok();
}

}  // namespace mh::api
