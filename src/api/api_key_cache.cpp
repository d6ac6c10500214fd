#include "api/api_key_cache.hpp"

namespace mh::api {

Result<store::ApiKey> ApiKeyCache::Find(std::string_view prefix) {
    const Timestamp now = clock_.Now();
    {
        std::lock_guard lock(mutex_);
        if (auto it = entries_.find(std::string(prefix)); it != entries_.end() && now - it->second.fetched < ttl_) {
            return it->second.key;
        }
    }
    MH_ASSIGN_OR_RETURN(auto key, store_.auth().FindApiKey(prefix));  // unknown prefixes are not cached: nothing to keep
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxEntries) entries_.clear();  // a bound, not a policy: keys are few in practice
    entries_.insert_or_assign(std::string(prefix), Entry{key, now});
    return key;
}

bool ApiKeyCache::Holds(std::string_view prefix) const {
    const Timestamp now = clock_.Now();
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(std::string(prefix));
    return it != entries_.end() && now - it->second.fetched < ttl_;
}

void ApiKeyCache::Clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
}

}  // namespace mh::api
