// Authentication and account routes: login, refresh, logout, sign-up, e-mail verification, password reset.
#include <spdlog/spdlog.h>

#include "api/api.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "domain/passwords.hpp"
#include "domain/secrets.hpp"

namespace mh::api {
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
    if (const auto decision = login_limits_.TakeLogin(call->request.remote_address, *email); !decision.allowed) {
        call->extra_headers.emplace_back("retry-after", std::to_string(decision.retry_after_s));
        Error error = MakeError(Errc::kResourceExhausted,
                                "too many login attempts; wait " + std::to_string(decision.retry_after_s) + " s");
        Finish(call, ErrorResponse(429, "rate_limited", error.message));
        return error;
    }
    auto user = store_.users().FindUserByEmail(*email);
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
            auto session = accounts_.StartSession(*user, options_.token_lifetime);
            if (!session) return Fail(call, session.error());
            call->extra_headers.emplace_back(
                "set-cookie", "mh_session=" + session->cookie_value + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                                  std::to_string(options_.token_lifetime.count()) +
                                  (options_.cookie_secure ? "; Secure" : ""));
            Finish(call, JsonResponse(200, json::object{{"csrf_token", session->csrf_token},
                                                        {"expires_at", IsoTime(ToMillis(session->expires_at))},
                                                        {"user", View(*user)}}));
        });

    Add(Method::kDelete, "/api/v1/auth/session", Auth::kUser, "Log a browser out: ends the session, clears the cookie",
        [this](std::shared_ptr<Call> call) {
            if (!call->caller.session_hash.empty()) {
                if (auto status = store_.auth().DeleteSession(call->caller.session_hash); !status) {
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
            if (auto status = store_.auth().RevokeToken(call->caller.token_id, FromMillis(call->caller.token_expires_s * 1000));
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
            auto status = store_.auth().RevokeToken(call->caller.token_id, FromMillis(call->caller.token_expires_s * 1000));
            if (!status) return Fail(call, status.error());
            Finish(call, net::Response::Json(200, R"({"logged_out":true})"));
        });

    Add(Method::kGet, "/api/v1/me", Auth::kUser, "The current user and their tenants", [this](std::shared_ptr<Call> call) {
        auto found = store_.users().MembershipsOf(call->caller.user->id);
        if (!found) return Fail(call, found.error());
        json::array memberships;
        for (const auto& m : *found) {
            memberships.push_back(json::object{{"tenant", View(m.tenant)}, {"role", RoleName(m.role)}});
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
            if (auto status = accounts_.ChangePassword(*call->caller.user, *current, *next); !status) {
                return Fail(call, status.error());
            }
            Finish(call, net::Response::Json(200, R"({"password_changed":true})"));
        });

    Add(Method::kPost, "/api/v1/auth/signup", Auth::kNone, "Create an account; a verification link is e-mailed",
        [this](std::shared_ptr<Call> call) {
            const auto decision = login_limits_.TakeSignUp(call->request.remote_address);
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
            auto user = accounts_.SignUp(*email, *password, name->value_or(""));
            if (!user) return Fail(call, user.error());
            Finish(call, JsonResponse(201, json::object{{"user", View(*user)}, {"verification", "sent"}}));
        });

    Add(Method::kPost, "/api/v1/auth/verify", Auth::kNone, "Confirm an e-mail address with the link's token",
        [this](std::shared_ptr<Call> call) {
            auto body = ParseObject(call->request.body);
            if (!body) return Fail(call, body.error());
            auto token = RequiredString(*body, "token");
            if (!token) return Fail(call, token.error());
            if (auto status = accounts_.Verify(*token); !status) return Fail(call, status.error());
            Finish(call, net::Response::Json(200, R"({"email_verified":true})"));
        });

    Add(Method::kPost, "/api/v1/auth/password-reset", Auth::kNone,
        "Ask for a password reset link (answers the same whether or not the address is known)",
        [this](std::shared_ptr<Call> call) {
            const auto decision = login_limits_.TakePasswordReset(call->request.remote_address);
            if (!decision.allowed) {
                call->extra_headers.emplace_back("retry-after", std::to_string(decision.retry_after_s));
                return Finish(call, ErrorResponse(429, "rate_limited", "too many reset requests from this address"));
            }
            auto body = ParseObject(call->request.body);
            if (!body) return Fail(call, body.error());
            auto email = RequiredString(*body, "email");
            if (!email) return Fail(call, email.error());
            if (auto status = accounts_.RequestPasswordReset(*email); !status) return Fail(call, status.error());
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
            if (auto status = accounts_.ResetPassword(*token, *password); !status) return Fail(call, status.error());
            Finish(call, net::Response::Json(200, R"({"password_changed":true})"));
        });
}

}  // namespace mh::api
