// AuthConfig: the [auth] section, bearer tokens, login and request budgets and the session cookie, shared by the
// API and the web pages (web builds on api). A plain value; see core/config_section.hpp for how a section is
// described and loaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/config_section.hpp"
#include "core/result.hpp"

namespace mh::api {

struct AuthConfig {
    static constexpr std::string_view kSection = "auth";

    std::string jwt_secret;                       // empty: generated once and kept in <storage.path>-secret
    std::int64_t token_lifetime_s = 172'800;      // bearer tokens live two days
    std::int64_t login_attempts_per_minute = 5;   // per address and per account
    std::int64_t api_requests_per_minute = 6000;  // per token or API key
    bool cookie_secure = false;                   // mark the browser session cookie Secure (serve behind HTTPS)

    void Describe(config::Section& section);
    Status Validate() const;
};

}  // namespace mh::api
