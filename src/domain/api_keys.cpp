#include "domain/api_keys.hpp"

#include <sodium.h>

#include <array>
#include <stdexcept>

namespace mh::domain {
namespace {

// Crockford's base32 alphabet in lowercase: 32 symbols, so a random byte masked to 5 bits picks one uniformly.
constexpr std::string_view kAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";
static_assert(kAlphabet.size() == 32);
static_assert(kApiKeyPrefixLength == kApiKeyTag.size() + kApiKeyPrefixRandomChars);
static_assert(kApiKeyLength == kApiKeyPrefixLength + 1 + kApiKeySecretChars);

using Digest = std::array<unsigned char, crypto_hash_sha256_BYTES>;

void InitSodiumOrThrow() {
    static const bool ok = sodium_init() >= 0;
    if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

void AppendRandomChars(std::string& out, std::size_t count) {
    std::array<unsigned char, kApiKeySecretChars> bytes;
    static_assert(kApiKeyPrefixRandomChars <= kApiKeySecretChars);
    randombytes_buf(bytes.data(), count);
    for (std::size_t i = 0; i < count; ++i) out.push_back(kAlphabet[bytes[i] & 0x1f]);
    sodium_memzero(bytes.data(), bytes.size());
}

bool AllInAlphabet(std::string_view text) {
    return text.find_first_not_of(kAlphabet) == std::string_view::npos;
}

Digest Sha256(std::string_view text) {
    Digest digest;
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
    return digest;
}

}  // namespace

NewApiKey GenerateApiKey() {
    InitSodiumOrThrow();
    NewApiKey key;
    key.prefix.reserve(kApiKeyPrefixLength);
    key.prefix.append(kApiKeyTag);
    AppendRandomChars(key.prefix, kApiKeyPrefixRandomChars);
    key.plaintext.reserve(kApiKeyLength);
    key.plaintext.append(key.prefix).push_back('_');
    AppendRandomChars(key.plaintext, kApiKeySecretChars);
    key.secret_hash = HashApiKey(key.plaintext);
    return key;
}

std::optional<std::string> ApiKeyPrefix(std::string_view presented) {
    if (presented.size() != kApiKeyLength || !presented.starts_with(kApiKeyTag) ||
        presented[kApiKeyPrefixLength] != '_' ||
        !AllInAlphabet(presented.substr(kApiKeyTag.size(), kApiKeyPrefixRandomChars)) ||
        !AllInAlphabet(presented.substr(kApiKeyPrefixLength + 1))) {
        return std::nullopt;
    }
    return std::string(presented.substr(0, kApiKeyPrefixLength));
}

std::string HashApiKey(std::string_view presented) {
    InitSodiumOrThrow();
    const Digest digest = Sha256(presented);
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex;
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return {hex.data(), hex.size() - 1};
}

bool ApiKeyMatches(std::string_view presented, std::string_view stored_hash) {
    InitSodiumOrThrow();
    Digest stored;
    std::size_t length = 0;
    if (stored_hash.size() != stored.size() * 2 ||
        sodium_hex2bin(stored.data(), stored.size(), stored_hash.data(), stored_hash.size(), nullptr, &length,
                       nullptr) != 0 ||
        length != stored.size()) {
        return false;
    }
    const Digest actual = Sha256(presented);
    return sodium_memcmp(actual.data(), stored.data(), actual.size()) == 0;
}

}  // namespace mh::domain
