// Authentication and account routes: login, refresh, logout, sign-up, e-mail verification, password reset.
#include <spdlog/spdlog.h>

#include "api/api.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "domain/passwords.hpp"
#include "domain/secrets.hpp"

namespace mh::api {
namespace {

constexpr auto kVerifyLifetime = std::chrono::hours(48);
constexpr auto kResetLifetime = std::chrono::hours(1);

bool LooksLikeEmail(std::string_view email) {
    const auto at = email.find('@');
    return at != std::string_view::npos && at > 0 && at + 1 < email.size() && email.find(' ') == std::string_view::npos &&
           email.find('\n') == std::string_view::npos && email.size() <= 254;
}

}  // namespace

Result<store::User> Api::CheckCredentials(const std::shared_ptr<Call>& call) {
    auto fail = [&](Error error) -> Result<store::User> {
        Fail(call, error);
        return error;
    };
    auto body = ParseObject(call->request.body);
    if (!body) return fail(body.error());
    auto email = RequiredString(*body, "email");
    auto password = RequiredString(*body, "password", domain::kMaxPasswordLength);
    if (!email) return fail(email.error());
    if (!password) return fail(password.error());
    // Rate limits by address and by account, before any password work.
    for (auto* limiter : {&login_by_ip_, &login_by_account_}) {
        const auto key = limiter == &login_by_ip_ ? call->request.remote_address : *email;
        const auto decision = limiter->Take(key);
        if (!decision.allowed) {
            call->extra_headers.emplace_back("retry-after", std::to_string(decision.retry_after_s));
            Error error = MakeError(Errc::kResourceExhausted,
                                    "too many login attempts; wait " + std::to_string(decision.retry_after_s) + " s");
            Finish(call, ErrorResponse(429, "rate_limited", error.message));
            return error;
        }
    }
    auto user = store_.FindUserByEmail(*email);
    if (!user || !domain::VerifyPassword(user->password_hash, *password)) {
        return fail(MakeError(Errc::kUnauthenticated, "wrong e-mail or password"));
    }
    return user;
}

void Api::AddAuthRoutes() {
    using net::Method;

    Add(Method::kPost, "/api/v1/auth/login", Auth::kNone, "Log in with e-mail and password; returns a bearer token",
        [this](std::shared_ptr<Call> call) {
            auto user = CheckCredentials(call);
            if (!user) return;  // CheckCredentials answered
            auto token = jwt_.Issue(user->id, clock_.Now(), options_.token_lifetime);
            if (!token) return Fail(call, token.error());
            const auto expires = clock_.Now() + options_.token_lifetime;
            Finish(call, JsonResponse(200, json::object{{"token", *token},
                                                        {"token_type", "Bearer"},
                                                        {"expires_at", IsoTime(ToMillis(expires))},
                                                        {"user", View(*user)}}));
        });

    Add(Method::kPost, "/api/v1/auth/session", Auth::kNone,
        "Log in a browser: sets an HttpOnly session cookie and returns the CSRF token for state-changing requests",
        [this](std::shared_ptr<Call> call) {
            auto user = CheckCredentials(call);
            if (!user) return;
            const std::string id = domain::RandomHex(32);
            const std::string csrf = domain::RandomHex(16);
            const auto expires = clock_.Now() + options_.token_lifetime;
            if (auto status = store_.CreateSession(domain::Sha256Hex(id), user->id, csrf, expires); !status) {
                return Fail(call, status.error());
            }
            call->extra_headers.emplace_back(
                "set-cookie", "mh_session=" + id + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                                  std::to_string(options_.token_lifetime.count()) +
                                  (options_.cookie_secure ? "; Secure" : ""));
            Finish(call, JsonResponse(200, json::object{{"csrf_token", csrf},
                                                        {"expires_at", IsoTime(ToMillis(expires))},
                                                        {"user", View(*user)}}));
        });

    Add(Method::kDelete, "/api/v1/auth/session", Auth::kUser, "Log a browser out: ends the session, clears the cookie",
        [this](std::shared_ptr<Call> call) {
            if (!call->caller.session_hash.empty()) {
                if (auto status = store_.DeleteSession(call->caller.session_hash); !status) {
                    return Fail(call, status.error());
                }
            }
            call->extra_headers.emplace_back("set-cookie", "mh_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
            Finish(call, net::Response::Json(200, R"({"logged_out":true})"));
        });

    Add(Method::kPost, "/api/v1/auth/refresh", Auth::kUser, "Exchange a valid token for a fresh one",
        [this](std::shared_ptr<Call> call) {
            auto token = jwt_.Issue(call->caller.user->id, clock_.Now(), options_.token_lifetime);
            if (!token) return Fail(call, token.error());
            if (auto status = store_.RevokeToken(call->caller.token_id, FromMillis(call->caller.token_expires_s * 1000));
                !status) {
                return Fail(call, status.error());
            }
            const auto expires = clock_.Now() + options_.token_lifetime;
            Finish(call, JsonResponse(200, json::object{{"token", *token},
                                                        {"token_type", "Bearer"},
                                                        {"expires_at", IsoTime(ToMillis(expires))}}));
        });

    Add(Method::kPost, "/api/v1/auth/logout", Auth::kUser, "Revoke the presented token",
        [this](std::shared_ptr<Call> call) {
            auto status = store_.RevokeToken(call->caller.token_id, FromMillis(call->caller.token_expires_s * 1000));
            if (!status) return Fail(call, status.error());
            Finish(call, net::Response::Json(200, R"({"logged_out":true})"));
        });

    Add(Method::kGet, "/api/v1/me", Auth::kUser, "The current user and their tenants", [this](std::shared_ptr<Call> call) {
        auto tenants = store_.ListTenants();
        if (!tenants) return Fail(call, tenants.error());
        json::array memberships;
        for (const auto& t : *tenants) {
            auto role = store_.RoleOf(call->caller.user->id, t.id);
            if (!role) return Fail(call, role.error());
            if (*role) memberships.push_back(json::object{{"tenant", View(t)}, {"role", RoleName(**role)}});
        }
        json::object out = View(*call->caller.user);
        out["memberships"] = std::move(memberships);
        Finish(call, JsonResponse(200, out));
    });

    Add(Method::kPost, "/api/v1/me/password", Auth::kUser, "Change the current user's password",
        [this](std::shared_ptr<Call> call) {
            auto body = ParseObject(call->request.body);
            if (!body) return Fail(call, body.error());
            auto current = RequiredString(*body, "current_password", domain::kMaxPasswordLength);
            auto next = RequiredString(*body, "new_password", domain::kMaxPasswordLength);
            if (!current) return Fail(call, current.error());
            if (!next) return Fail(call, next.error());
            if (!domain::VerifyPassword(call->caller.user->password_hash, *current)) {
                return Fail(call, MakeError(Errc::kPermissionDenied, "current_password: is wrong"));
            }
            auto hash = domain::HashPassword(*next);
            if (!hash) return Fail(call, MakeError(Errc::kInvalidArgument, "new_password: " + hash.error().message));
            if (auto status = store_.SetPasswordHash(call->caller.user->id, *hash); !status) {
                return Fail(call, status.error());
            }
            Finish(call, net::Response::Json(200, R"({"password_changed":true})"));
        });

    Add(Method::kPost, "/api/v1/auth/signup", Auth::kNone, "Create an account; a verification link is e-mailed",
        [this](std::shared_ptr<Call> call) {
            const auto decision = login_by_ip_.Take("signup:" + call->request.remote_address);
            if (!decision.allowed) {
                call->extra_headers.emplace_back("retry-after", std::to_string(decision.retry_after_s));
                return Finish(call, ErrorResponse(429, "rate_limited", "too many sign-ups from this address"));
            }
            auto body = ParseObject(call->request.body);
            if (!body) return Fail(call, body.error());
            auto email = RequiredString(*body, "email");
            auto password = RequiredString(*body, "password", domain::kMaxPasswordLength);
            auto name = OptionalString(*body, "display_name");
            if (!email) return Fail(call, email.error());
            if (!password) return Fail(call, password.error());
            if (!name) return Fail(call, name.error());
            if (!LooksLikeEmail(*email)) return Fail(call, MakeError(Errc::kInvalidArgument, "email: is not an e-mail address"));
            auto hash = domain::HashPassword(*password);
            if (!hash) return Fail(call, MakeError(Errc::kInvalidArgument, "password: " + hash.error().message));
            auto user = store_.CreateUser({*email, name->value_or(""), *hash, false});
            if (!user) return Fail(call, user.error());
            const std::string token = domain::RandomHex(32);
            if (auto status = store_.CreateEmailToken(user->id, store::EmailTokenPurpose::kVerify,
                                                      domain::Sha256Hex(token), "", clock_.Now() + kVerifyLifetime);
                !status) {
                return Fail(call, status.error());
            }
            mail_(user->email, "Confirm your meterhub account",
                  "Open this link to confirm your e-mail address:\n" + options_.public_url + "/verify?token=" + token);
            Finish(call, JsonResponse(201, json::object{{"user", View(*user)}, {"verification", "sent"}}));
        });

    Add(Method::kPost, "/api/v1/auth/verify", Auth::kNone, "Confirm an e-mail address with the link's token",
        [this](std::shared_ptr<Call> call) {
            auto body = ParseObject(call->request.body);
            if (!body) return Fail(call, body.error());
            auto token = RequiredString(*body, "token");
            if (!token) return Fail(call, token.error());
            auto user = store_.ConsumeEmailToken(store::EmailTokenPurpose::kVerify, domain::Sha256Hex(*token), clock_.Now());
            if (!user) return Fail(call, user.error());
            if (auto status = store_.SetEmailVerified(user->first, true); !status) return Fail(call, status.error());
            Finish(call, net::Response::Json(200, R"({"email_verified":true})"));
        });

    Add(Method::kPost, "/api/v1/auth/password-reset", Auth::kNone,
        "Ask for a password reset link (answers the same whether or not the address is known)",
        [this](std::shared_ptr<Call> call) {
            const auto decision = login_by_ip_.Take("reset:" + call->request.remote_address);
            if (!decision.allowed) {
                call->extra_headers.emplace_back("retry-after", std::to_string(decision.retry_after_s));
                return Finish(call, ErrorResponse(429, "rate_limited", "too many reset requests from this address"));
            }
            auto body = ParseObject(call->request.body);
            if (!body) return Fail(call, body.error());
            auto email = RequiredString(*body, "email");
            if (!email) return Fail(call, email.error());
            if (auto user = store_.FindUserByEmail(*email)) {
                const std::string token = domain::RandomHex(32);
                if (auto status = store_.CreateEmailToken(user->id, store::EmailTokenPurpose::kReset,
                                                          domain::Sha256Hex(token), "", clock_.Now() + kResetLifetime);
                    !status) {
                    return Fail(call, status.error());
                }
                mail_(user->email, "Reset your meterhub password",
                      "Open this link within an hour to choose a new password:\n" + options_.public_url +
                          "/reset-password?token=" + token);
            }
            Finish(call, net::Response::Json(202, R"({"reset":"if the address is known, a link was sent"})"));
        });

    Add(Method::kPost, "/api/v1/auth/password-reset/confirm", Auth::kNone, "Set a new password with a reset token",
        [this](std::shared_ptr<Call> call) {
            auto body = ParseObject(call->request.body);
            if (!body) return Fail(call, body.error());
            auto token = RequiredString(*body, "token");
            auto password = RequiredString(*body, "password", domain::kMaxPasswordLength);
            if (!token) return Fail(call, token.error());
            if (!password) return Fail(call, password.error());
            auto hash = domain::HashPassword(*password);
            if (!hash) return Fail(call, MakeError(Errc::kInvalidArgument, "password: " + hash.error().message));
            auto user = store_.ConsumeEmailToken(store::EmailTokenPurpose::kReset, domain::Sha256Hex(*token), clock_.Now());
            if (!user) return Fail(call, user.error());
            if (auto status = store_.SetPasswordHash(user->first, *hash); !status) return Fail(call, status.error());
            Finish(call, net::Response::Json(200, R"({"password_changed":true})"));
        });
}

}  // namespace mh::api
