// SqlAuth: API keys, revoked tokens, e-mail tokens and browser sessions.
#include "store/sql/queries.hpp"
#include "store/sql/repositories.hpp"

namespace mh::store::sql {
namespace {

constexpr std::string_view kApiKeyColumns = "id, tenant_id, name, prefix, secret_hash, created_at, revoked_at";

ApiKey ApiKeyFrom(const Statement& s) {
    ApiKey key{s.Int(0), TenantId{s.Int(1)}, s.Text(2), s.Text(3), s.Text(4), FromMillis(s.Int(5)), std::nullopt};
    if (!s.IsNull(6)) key.revoked_at = FromMillis(s.Int(6));
    return key;
}

const char* PurposeName(EmailTokenPurpose purpose) {
    switch (purpose) {
        case EmailTokenPurpose::kVerify: return "verify";
        case EmailTokenPurpose::kReset: return "reset";
        case EmailTokenPurpose::kChangeEmail: return "email";
    }
    return "verify";
}

}  // namespace

Result<ApiKey> SqlAuth::CreateApiKey(const TenantScope& scope, std::string_view name, std::string_view prefix,
                                         std::string_view secret_hash) {
    ApiKey key{ids_.Next(), scope.tenant(), std::string(name), std::string(prefix), std::string(secret_hash),
               clock_.Now(), std::nullopt};
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::Tenant(scope)));
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer->Cached("INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, created_at) "
                                        "VALUES (?, ?, ?, ?, ?, ?)"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, key.id)
                           .Bind(2, key.tenant.value())
                           .Bind(3, key.name)
                           .Bind(4, key.prefix)
                           .Bind(5, key.secret_hash)
                           .Bind(6, ToMillis(key.created_at))
                           .Run());
    return key;
}

Result<std::vector<ApiKey>> SqlAuth::ListApiKeys(const TenantScope& scope) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::Tenant(scope)));
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        reader->Cached("SELECT " + std::string(kApiKeyColumns) +
                                       " FROM api_keys WHERE tenant_id = ? ORDER BY created_at"));
    stmt->Bind(1, scope.tenant().value());
    std::vector<ApiKey> out;
    for (;;) {
        MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
        if (!row) break;
        out.push_back(ApiKeyFrom(*stmt));
    }
    return out;
}

Status SqlAuth::RevokeApiKey(const TenantScope& scope, std::int64_t id) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::Tenant(scope)));
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer->Cached("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) "
                                        "WHERE tenant_id = ? AND id = ?"));
    MH_RETURN_IF_ERROR(stmt->Bind(1, ToMillis(clock_.Now())).Bind(2, scope.tenant().value()).Bind(3, id).Run());
    if (writer->Changes() == 0) return MakeError(Errc::kNotFound, "API key not found");
    return Ok();
}

Result<ApiKey> SqlAuth::FindApiKey(std::string_view prefix) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        reader->Cached("SELECT " + std::string(kApiKeyColumns) + " FROM api_keys WHERE prefix = ?"));
    stmt->Bind(1, prefix);
    MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return MakeError(Errc::kNotFound, "API key not found");
    ApiKey key = ApiKeyFrom(*stmt);
    stmt->Reset();
    return key;
}

Status SqlAuth::RevokeToken(std::string_view token_id, Timestamp expires_at) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    // Forget revocations of tokens that have expired on their own meanwhile.
    MH_ASSIGN_OR_RETURN(Statement * purge, writer->Cached("DELETE FROM revoked_tokens WHERE expires_at < ?"));
    MH_RETURN_IF_ERROR(purge->Bind(1, ToMillis(clock_.Now())).Run());
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer->Cached("INSERT INTO revoked_tokens (token_id, expires_at) VALUES (?, ?) "
                                        "ON CONFLICT (token_id) DO NOTHING"));
    return stmt->Bind(1, token_id).Bind(2, ToMillis(expires_at)).Run();
}

Result<bool> SqlAuth::IsTokenRevoked(std::string_view token_id) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt, reader->Cached("SELECT 1 FROM revoked_tokens WHERE token_id = ?"));
    stmt->Bind(1, token_id);
    MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    stmt->Reset();
    return row;
}

Status SqlAuth::CreateEmailToken(UserId user, EmailTokenPurpose purpose, std::string_view token_hash,
                                     std::string_view new_email, Timestamp expires_at) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer->Cached("INSERT INTO email_tokens (token_hash, user_id, purpose, new_email, expires_at) "
                                        "VALUES (?, ?, ?, ?, ?)"));
    return stmt->Bind(1, token_hash)
        .Bind(2, user.value())
        .Bind(3, PurposeName(purpose))
        .Bind(4, new_email)
        .Bind(5, ToMillis(expires_at))
        .Run();
}

Result<std::pair<UserId, std::string>> SqlAuth::ConsumeEmailToken(EmailTokenPurpose purpose,
                                                                      std::string_view token_hash, Timestamp now) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer->Cached("DELETE FROM email_tokens WHERE token_hash = ? AND purpose = ? "
                                        "RETURNING user_id, COALESCE(new_email, ''), expires_at"));
    stmt->Bind(1, token_hash).Bind(2, PurposeName(purpose));
    MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return MakeError(Errc::kNotFound, "this link is not valid (used already, or mistyped)");
    std::pair<UserId, std::string> out{UserId{stmt->Int(0)}, stmt->Text(1)};
    const bool expired = stmt->Int(2) < ToMillis(now);
    MH_RETURN_IF_ERROR(stmt->Run());
    if (expired) return MakeError(Errc::kNotFound, "this link has expired; ask for a new one");
    return out;
}

Status SqlAuth::CreateSession(std::string_view id_hash, UserId user, std::string_view csrf_token,
                                  Timestamp expires_at) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * purge, writer->Cached("DELETE FROM sessions WHERE expires_at < ?"));
    MH_RETURN_IF_ERROR(purge->Bind(1, ToMillis(clock_.Now())).Run());
    MH_ASSIGN_OR_RETURN(Statement * stmt,
                        writer->Cached("INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) "
                                        "VALUES (?, ?, ?, ?, ?)"));
    return stmt->Bind(1, id_hash)
        .Bind(2, user.value())
        .Bind(3, csrf_token)
        .Bind(4, ToMillis(clock_.Now()))
        .Bind(5, ToMillis(expires_at))
        .Run();
}

Result<Session> SqlAuth::FindSession(std::string_view id_hash, Timestamp now) {
    MH_ASSIGN_OR_RETURN(auto reader, pool_.Read(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt, reader->Cached("SELECT user_id, csrf_token, expires_at FROM sessions "
                                                          "WHERE id_hash = ? AND expires_at > ?"));
    stmt->Bind(1, id_hash).Bind(2, ToMillis(now));
    MH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return MakeError(Errc::kUnauthenticated, "the session has ended; log in again");
    Session session{UserId{stmt->Int(0)}, stmt->Text(1), FromMillis(stmt->Int(2))};
    stmt->Reset();
    return session;
}

Status SqlAuth::DeleteSession(std::string_view id_hash) {
    MH_ASSIGN_OR_RETURN(auto writer, pool_.Write(Access::System()));
    MH_ASSIGN_OR_RETURN(Statement * stmt, writer->Cached("DELETE FROM sessions WHERE id_hash = ?"));
    return stmt->Bind(1, id_hash).Run();
}

}  // namespace mh::store::sql
