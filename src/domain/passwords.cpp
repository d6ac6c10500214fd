#include "domain/passwords.hpp"

#include <sodium.h>

namespace mh::domain {
namespace {

bool InitSodium() {
    static const bool ok = sodium_init() >= 0;
    return ok;
}

}  // namespace

Result<std::string> HashPassword(std::string_view password) {
    if (password.size() < kMinPasswordLength) {
        return MakeError(Errc::kInvalidArgument,
                         "password must be at least " + std::to_string(kMinPasswordLength) + " characters");
    }
    if (password.size() > kMaxPasswordLength) return MakeError(Errc::kInvalidArgument, "password is too long");
    if (!InitSodium()) return MakeError(Errc::kInternal, "libsodium failed to initialise");
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        return MakeError(Errc::kResourceExhausted, "not enough memory to hash the password");
    }
    return std::string(hash);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
    if (!InitSodium() || hash.size() >= crypto_pwhash_STRBYTES) return false;
    std::string terminated(hash);
    return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

}  // namespace mh::domain
