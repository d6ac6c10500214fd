// ApiKeyCache: device API keys as the ingest path sees them. A device posting every few seconds should not cost
// a database read per request, so keys found by prefix are kept for `ttl`. Revoking a key through this server
// clears the cache at once; a revocation from elsewhere (the CLI, another instance) takes effect within `ttl`.
// Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"
#include "store/database.hpp"

namespace mh::api {

class ApiKeyCache {
  public:
    ApiKeyCache(store::Repositories store, const Clock& clock, std::chrono::milliseconds ttl = std::chrono::seconds(5))
        : store_(store), clock_(clock), ttl_(ttl) {}

    Result<store::ApiKey> Find(std::string_view prefix);
    // Whether Find(prefix) would answer from memory now.
    bool Holds(std::string_view prefix) const;
    void Clear();

  private:
    static constexpr std::size_t kMaxEntries = 100'000;
    struct Entry {
        store::ApiKey key;
        Timestamp fetched;
    };
    store::Repositories store_;
    const Clock& clock_;
    const std::chrono::milliseconds ttl_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
};

}  // namespace mh::api
