// AuthRepository: what authentication keeps — device API keys, revoked bearer tokens, one-time e-mail tokens
// and browser sessions. Secrets are stored hashed; the callers (domain::ApiKeys, domain::Accounts, the web
// session code) hash them.
//
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/tenant_scope.hpp"
#include "store/records.hpp"

namespace mh::store {

class AuthRepository {
  public:
    virtual ~AuthRepository() = default;

    // Device API keys. FindApiKey is what authentication asks (by the key's public prefix) before it knows
    // the tenant; it returns revoked keys too, so the caller can say so.
    virtual Result<ApiKey> CreateApiKey(const TenantScope& scope, std::string_view name, std::string_view prefix,
                                        std::string_view secret_hash) = 0;
    virtual Result<std::vector<ApiKey>> ListApiKeys(const TenantScope& scope) = 0;
    virtual Status RevokeApiKey(const TenantScope& scope, std::int64_t id) = 0;
    virtual Result<ApiKey> FindApiKey(std::string_view prefix) = 0;

    // Revoked bearer tokens (logout), kept until they would have expired anyway.
    virtual Status RevokeToken(std::string_view token_id, Timestamp expires_at) = 0;
    virtual Result<bool> IsTokenRevoked(std::string_view token_id) = 0;

    // One-time e-mail tokens (verification, password reset, e-mail change), stored hashed.
    virtual Status CreateEmailToken(UserId user, EmailTokenPurpose purpose, std::string_view token_hash,
                                    std::string_view new_email, Timestamp expires_at) = 0;
    // Deletes the token and returns its user (and new e-mail); kNotFound when unknown, used or expired.
    virtual Result<std::pair<UserId, std::string>> ConsumeEmailToken(EmailTokenPurpose purpose,
                                                                     std::string_view token_hash, Timestamp now) = 0;

    // Browser sessions, stored by the hash of their cookie value. FindSession ignores expired ones.
    virtual Status CreateSession(std::string_view id_hash, UserId user, std::string_view csrf_token,
                                 Timestamp expires_at) = 0;
    virtual Result<Session> FindSession(std::string_view id_hash, Timestamp now) = 0;
    virtual Status DeleteSession(std::string_view id_hash) = 0;
};

}  // namespace mh::store
