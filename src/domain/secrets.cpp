#include "domain/secrets.hpp"

#include <sodium.h>

#include <stdexcept>
#include <vector>

namespace mh::domain {
namespace {

std::string Hex(const unsigned char* data, std::size_t size) {
    std::string out(size * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), data, size);
    out.pop_back();
    return out;
}

void Init() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace

std::string RandomHex(std::size_t bytes) {
    Init();
    std::vector<unsigned char> buffer(bytes);
    randombytes_buf(buffer.data(), buffer.size());
    return Hex(buffer.data(), buffer.size());
}

std::string Sha256Hex(std::string_view text) {
    Init();
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    return Hex(digest, sizeof digest);
}

}  // namespace mh::domain
