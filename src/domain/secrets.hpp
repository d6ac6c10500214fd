// Random tokens and their hashes, for one-time links and session ids (libsodium).
#pragma once

#include <string>
#include <string_view>

namespace mh::domain {

// `bytes` random bytes as lower-case hex.
std::string RandomHex(std::size_t bytes);
// SHA-256 of `text` as lower-case hex: what is stored instead of a token.
std::string Sha256Hex(std::string_view text);

}  // namespace mh::domain
