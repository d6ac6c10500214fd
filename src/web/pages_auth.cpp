// Pages of people who are not logged in yet: log in and out, sign up, verify, forgotten password, e-mail change.
#include <boost/json.hpp>

#include "domain/passwords.hpp"
#include "domain/secrets.hpp"
#include "web/site.hpp"

namespace mh::web {

namespace json = boost::json;

namespace {

// Where to go after logging in: only paths of this site ("/x", not "//evil.example" or "https://...").
std::string SafeNext(std::string_view next) {
    if (next.size() < 1 || next.size() > 2000 || next.front() != '/' || next.starts_with("//") ||
        next.find('\\') != std::string_view::npos) {
        return "/";
    }
    return std::string(next);
}

std::string SessionCookie(std::string_view value, std::int64_t max_age_s, bool secure) {
    return "mh_session=" + std::string(value) +
           "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age_s) + (secure ? "; Secure" : "");
}

}  // namespace

void Site::AddAuthPages() {
    using net::Method;

    Add(Method::kGet, "/login", Access::kPublic, [this](Call& call) {
        if (call.user) return Redirect(call, "/");
        return Render(call, "login",
                      json::object{{"title", call.texts->Text("login_title")},
                                   {"next", SafeNext(call.request.Param("next").value_or("/"))}});
    });

    Add(Method::kPost, "/login", Access::kPublic, [this](Call& call) {
        const std::string email = call.form.Get("email");
        const std::string next = SafeNext(call.form.Get("next"));
        json::object context{{"title", call.texts->Text("login_title")}, {"next", next}, {"email", email}};
        if (const auto decision = login_limits_.TakeLogin(call.request.remote_address, email); !decision.allowed) {
            context["error"] = TooManyAttempts(call, decision.retry_after_s);
            auto response = Render(call, "login", std::move(context), 429);
            response.Set("retry-after", std::to_string(decision.retry_after_s));
            return response;
        }
        const std::string password = call.form.Get("password");
        auto user = store_.users().FindUserByEmail(email);
        if (!user || password.size() > domain::kMaxPasswordLength ||
            !domain::VerifyPassword(user->password_hash, password)) {
            context["error"] = call.texts->Text("login_wrong");
            return Render(call, "login", std::move(context), 401);
        }
        auto session = accounts_.StartSession(*user, options_.session_lifetime);
        if (!session) return ErrorPage(call, session.error());
        call.headers.emplace_back("set-cookie", SessionCookie(session->cookie_value, options_.session_lifetime.count(),
                                                              options_.cookie_secure));
        return Redirect(call, next);
    });

    Add(Method::kPost, "/logout", Access::kUser, [this](Call& call) {
        if (auto status = store_.auth().DeleteSession(call.session_hash); !status) return ErrorPage(call, status.error());
        call.headers.emplace_back("set-cookie", SessionCookie("", 0, options_.cookie_secure));
        return Redirect(call, "/login");
    });

    Add(Method::kGet, "/signup", Access::kPublic, [this](Call& call) {
        return Render(call, "signup", json::object{{"title", call.texts->Text("signup_title")}});
    });

    Add(Method::kPost, "/signup", Access::kPublic, [this](Call& call) {
        const std::string email = call.form.Get("email");
        const std::string name = call.form.Get("display_name");
        json::object context{{"title", call.texts->Text("signup_title")}, {"email", email}, {"display_name", name}};
        const auto decision = login_limits_.TakeSignUp(call.request.remote_address);
        if (!decision.allowed) {
            context["error"] = TooManyAttempts(call, decision.retry_after_s);
            return Render(call, "signup", std::move(context), 429);
        }
        const std::string password = call.form.Get("password");
        if (password != call.form.Get("password_again")) {
            context["errors"] = json::object{{"password_again", call.texts->Text("signup_mismatch")}};
            return Render(call, "signup", std::move(context), 422);
        }
        auto user = accounts_.SignUp(email, password, name);
        if (!user) {
            AddFormError(context, user.error());
            return Render(call, "signup", std::move(context), StatusFor(user.error()));
        }
        return Render(call, "message",
                      json::object{{"title", call.texts->Text("signup_title")},
                                   {"message", call.texts->Text("signup_done")},
                                   {"detail", email},
                                   {"login_link", true}});
    });

    auto token_page = [this](std::string_view title, std::string_view done,
                             std::function<Status(const std::string&)> consume) {
        return [this, title, done, consume = std::move(consume)](Call& call) {
            const std::string token = call.request.Param("token").value_or("");
            auto status = token.size() == 64 ? consume(token) : Status(MakeError(Errc::kNotFound, "bad token"));
            if (!status) {
                return Render(
                    call, "message",
                    json::object{{"title", call.texts->Text(title)}, {"error", call.texts->Text("token_invalid")}},
                    status.error().code == Errc::kNotFound ? 410 : StatusFor(status.error()));
            }
            return Render(call, "message",
                          json::object{{"title", call.texts->Text(title)},
                                       {"message", call.texts->Text(done)},
                                       {"login_link", !call.user}});
        };
    };
    Add(Method::kGet, "/verify", Access::kPublic,
        token_page("verify_title", "verify_done", [this](const std::string& t) { return accounts_.Verify(t); }));
    Add(Method::kGet, "/confirm-email", Access::kPublic,
        token_page("email_title", "email_done",
                   [this](const std::string& t) { return accounts_.ConfirmEmailChange(t); }));

    Add(Method::kGet, "/forgot-password", Access::kPublic, [this](Call& call) {
        return Render(call, "forgot", json::object{{"title", call.texts->Text("forgot_title")}});
    });

    Add(Method::kPost, "/forgot-password", Access::kPublic, [this](Call& call) {
        const std::string email = call.form.Get("email");
        json::object context{{"title", call.texts->Text("forgot_title")}, {"email", email}};
        const auto decision = login_limits_.TakePasswordReset(call.request.remote_address);
        if (!decision.allowed) {
            context["error"] = TooManyAttempts(call, decision.retry_after_s);
            return Render(call, "forgot", std::move(context), 429);
        }
        if (auto status = accounts_.RequestPasswordReset(email); !status) return ErrorPage(call, status.error());
        return Render(
            call, "message",
            json::object{{"title", call.texts->Text("forgot_title")}, {"message", call.texts->Text("forgot_sent")}});
    });

    Add(Method::kGet, "/reset-password", Access::kPublic, [this](Call& call) {
        return Render(call, "reset",
                      json::object{{"title", call.texts->Text("reset_title")},
                                   {"token", call.request.Param("token").value_or("")}});
    });

    Add(Method::kPost, "/reset-password", Access::kPublic, [this](Call& call) {
        const std::string token = call.form.Get("token");
        json::object context{{"title", call.texts->Text("reset_title")}, {"token", token}};
        if (call.form.Get("password") != call.form.Get("password_again")) {
            context["errors"] = json::object{{"password_again", call.texts->Text("signup_mismatch")}};
            return Render(call, "reset", std::move(context), 422);
        }
        auto status = accounts_.ResetPassword(token, call.form.Get("password"));
        if (!status) {
            if (status.error().code == Errc::kNotFound) {
                context["error"] = call.texts->Text("token_invalid");
            } else {
                AddFormError(context, status.error());
            }
            return Render(call, "reset", std::move(context), StatusFor(status.error()));
        }
        return Render(call, "message",
                      json::object{{"title", call.texts->Text("reset_title")},
                                   {"message", call.texts->Text("reset_done")},
                                   {"login_link", true}});
    });
}

}  // namespace mh::web
