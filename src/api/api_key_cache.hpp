// ApiKeyCache: device API keys as the ingest path sees them. A device posting every few seconds should not cost
// a database read per request, so keys found by prefix are kept for `ttl` in a TtlCache (core/ttl_cache.hpp:
// at most kMaxEntries keys, the one cached longest ago evicted first). Revoking a key through this server
// clears the cache at once; a revocation from elsewhere (the CLI, another instance) takes effect within `ttl`.
// Unknown prefixes are not cached. Thread-safe; a hit takes one shard's shared lock.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/ttl_cache.hpp"
#include "store/auth_repository.hpp"

namespace mh::api {

class ApiKeyCache {
  public:
    static constexpr std::size_t kMaxEntries = 100'000;

    ApiKeyCache(store::AuthRepository& store, const Clock& clock, std::chrono::milliseconds ttl = std::chrono::seconds(5))
        : store_(store), keys_(clock, ttl, kMaxEntries) {}

    Result<store::ApiKey> Find(std::string_view prefix);
    // Whether Find(prefix) would answer from memory now.
    bool Holds(std::string_view prefix) const { return keys_.Contains(prefix); }
    void Clear() { keys_.Clear(); }
    TtlCacheStats stats() const { return keys_.stats(); }

  private:
    store::AuthRepository& store_;
    TtlCache<std::string, store::ApiKey, TransparentStringHash> keys_;
};

}  // namespace mh::api
