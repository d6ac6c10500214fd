// LoginLimits: the one budget of password guesses, sign-ups and reset requests, shared by every way in.
//
// The REST API and the web pages both log people in; if each kept its own limiter, an attacker would get the
// budget twice (once per door). So `main` makes one LoginLimits and hands it to both. Per minute and fixed
// window (RateLimiter): `attempts_per_minute` logins per client address and as many per account (e-mail,
// compared as given), and as many sign-ups and reset requests per address, each its own budget.
//
// Ownership: holds a reference to `clock`, which must outlive it. Thread-safety: as RateLimiter, any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/clock.hpp"
#include "domain/rate_limiter.hpp"

namespace mh::domain {

class LoginLimits {
  public:
    // Throws std::invalid_argument unless attempts_per_minute > 0 (start-up configuration).
    LoginLimits(const Clock& clock, std::int64_t attempts_per_minute);

    LoginLimits(const LoginLimits&) = delete;
    LoginLimits& operator=(const LoginLimits&) = delete;

    // One login attempt from `address` for `account`, before any password work. The address is checked
    // first; a refusal there spends nothing of the account's budget.
    RateLimiter::Decision TakeLogin(std::string_view address, std::string_view account);
    RateLimiter::Decision TakeSignUp(std::string_view address);
    RateLimiter::Decision TakePasswordReset(std::string_view address);

  private:
    RateLimiter by_address_;  // logins by address; sign-ups and resets under prefixed keys
    RateLimiter by_account_;
};

}  // namespace mh::domain
