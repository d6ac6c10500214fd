#include "api/api_key_cache.hpp"

namespace mh::api {

Result<store::ApiKey> ApiKeyCache::Find(std::string_view prefix) {
    if (auto cached = keys_.Find(prefix)) return *std::move(cached);
    const std::uint64_t read_at = keys_.generation();          // a revocation during the read is not undone by the Put
    MH_ASSIGN_OR_RETURN(auto key, store_.FindApiKey(prefix));  // unknown prefixes are not cached: nothing to keep
    keys_.Put(std::string(prefix), key, read_at);
    return key;
}

}  // namespace mh::api
