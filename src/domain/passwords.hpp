// Password hashing with Argon2id (libsodium), in libsodium's self-describing string form.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mh::domain {

inline constexpr std::size_t kMinPasswordLength = 10;
inline constexpr std::size_t kMaxPasswordLength = 1024;

// Checks the length rules, then hashes. kInvalidArgument says which rule failed.
Result<std::string> HashPassword(std::string_view password);
bool VerifyPassword(std::string_view hash, std::string_view password);

}  // namespace mh::domain
