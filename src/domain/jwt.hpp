// JwtIssuer: issues and verifies the HS256 JSON Web Tokens that carry a signed-in user's session.
//
// A token is a compact JWS (RFC 7515/7519) signed with HMAC-SHA-256 under one server secret. Its claims are
// iss (the issuer name), sub (the user id as a decimal string), iat and exp (whole seconds since the epoch)
// and jti (128 random bits in hex, so a token can be revoked by id). Verify accepts only what Issue writes:
//   - the header's alg must be exactly "HS256" and is checked, never used to pick an algorithm, so "none",
//     RS256 or HS512 tokens are refused; the header may hold only alg and typ ("JWT");
//   - the signature is compared in constant time before any claim is read;
//   - exp <= now is expired; iat more than kMaxClockSkew ahead of now is not yet valid;
//   - tokens over kMaxTokenBytes are refused before any decoding.
// Claims Issue does not write are ignored once the signature holds (a newer version may add some). Each segment
// is read by Boost.JSON (standard JSON: escapes decoded, UTF-8 validated) and must be one flat object of at
// most 32 members whose values are strings or integers that fit int64: nesting, arrays, floats, exponents,
// booleans, null, integers beyond int64 and duplicate names (whichever copy another reader would pick) make
// the whole token malformed. Hostile input cannot exhaust the stack or memory and never throws.
// Every refusal is Errc::kUnauthenticated with a short message that is safe to log, not to show.
//
// Built on libsodium (HMAC-SHA-256, base64url, randomness) rather than libjwt, whose decode chooses the
// algorithm from the token's own header and so needs every caller to re-check it.
//
// Ownership: keeps its own copy of the secret. Thread-safety: immutable after construction, so Issue and
// Verify may run concurrently from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace mh::domain {

inline constexpr std::size_t kMinJwtSecretBytes = 32;
inline constexpr std::size_t kMaxTokenBytes = 4096;
inline constexpr std::chrono::seconds kMaxClockSkew{60};

// The claims of a verified token.
struct TokenClaims {
    UserId user;
    std::int64_t issued_at_s = 0;   // iat
    std::int64_t expires_at_s = 0;  // exp
    std::string id;                 // jti: 32 lowercase hex characters for tokens from Issue

    friend bool operator==(const TokenClaims&, const TokenClaims&) = default;
};

class JwtIssuer {
  public:
    // `secret` must hold at least kMinJwtSecretBytes bytes; `issuer` must be 1-128 printable ASCII characters
    // without quotes or backslashes. Throws std::invalid_argument otherwise (a start-up configuration error),
    // and std::runtime_error if libsodium cannot initialise.
    explicit JwtIssuer(std::string secret, std::string issuer = "meterhub");

    // A token for `user`, issued at `now` (rounded down to the second) and valid for `lifetime`.
    // kInvalidArgument for an invalid user id, a non-positive lifetime or times outside years 1970-9999.
    Result<std::string> Issue(UserId user, Timestamp now, std::chrono::seconds lifetime) const;

    // The claims of `token` if it is one of ours and valid at `now`; kUnauthenticated otherwise.
    Result<TokenClaims> Verify(std::string_view token, Timestamp now) const;

  private:
    std::string secret_;
    std::string issuer_;
};

}  // namespace mh::domain
