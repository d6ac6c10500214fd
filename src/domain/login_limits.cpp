#include "domain/login_limits.hpp"

#include <chrono>
#include <string>

namespace mh::domain {

LoginLimits::LoginLimits(const Clock& clock, std::int64_t attempts_per_minute)
    : by_address_(clock, attempts_per_minute, std::chrono::seconds(60)),
      by_account_(clock, attempts_per_minute, std::chrono::seconds(60)) {}

RateLimiter::Decision LoginLimits::TakeLogin(std::string_view address, std::string_view account) {
    const RateLimiter::Decision by_address = by_address_.Take(address);
    if (!by_address.allowed) return by_address;
    return by_account_.Take(account);
}

RateLimiter::Decision LoginLimits::TakeSignUp(std::string_view address) {
    return by_address_.Take("signup:" + std::string(address));
}

RateLimiter::Decision LoginLimits::TakePasswordReset(std::string_view address) {
    return by_address_.Take("reset:" + std::string(address));
}

}  // namespace mh::domain
