// Device API keys: long random secrets that a tenant's devices send instead of a password.
//
// A key reads "mhk_" + 8 characters + "_" + 32 characters, all from a lowercase base32 alphabet without the
// look-alikes i, l, o and u (Crockford's). The first part, "mhk_" + 8 characters, is the prefix: stored in
// clear, used to find the key's row, and safe to show in lists and logs. The whole key is stored only as
// its SHA-256 (hex); the 32-character tail carries 160 random bits, so a fast hash is enough and no
// password stretching is needed. The plaintext is shown once, when the key is made.
//
// Pure functions, no state: thread-safe. They throw std::runtime_error only if libsodium cannot initialise.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mh::domain {

inline constexpr std::string_view kApiKeyTag = "mhk_";
inline constexpr std::size_t kApiKeyPrefixRandomChars = 8;
inline constexpr std::size_t kApiKeySecretChars = 32;
inline constexpr std::size_t kApiKeyPrefixLength = 12;  // "mhk_" + 8
inline constexpr std::size_t kApiKeyLength = 45;        // prefix + "_" + 32

struct NewApiKey {
    std::string prefix;       // "mhk_" + 8 random characters: stored in clear, used to look the key up
    std::string secret_hash;  // lowercase hex SHA-256 of the full key: what is stored
    std::string plaintext;    // prefix + "_" + 32 random characters: shown once, never stored
};

// A fresh random key. Prefixes are random too (40 bits): the caller's unique index on the prefix catches the
// rare collision, and the caller then simply generates another key.
NewApiKey GenerateApiKey();

// The prefix of a presented key, or nullopt unless it has exactly the shape GenerateApiKey makes
// (lowercase, no surrounding space).
std::optional<std::string> ApiKeyPrefix(std::string_view presented);

// Lowercase hex SHA-256 of `presented`.
std::string HashApiKey(std::string_view presented);

// Whether `presented` hashes to `stored_hash` (hex, either case). Compares the digests in constant time;
// false for a malformed stored hash.
bool ApiKeyMatches(std::string_view presented, std::string_view stored_hash);

}  // namespace mh::domain
