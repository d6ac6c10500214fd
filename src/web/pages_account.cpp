// The account page: password, e-mail address, language, deleting the account.
#include <boost/json.hpp>

#include "web/site.hpp"

namespace mh::web {

namespace json = boost::json;

void Site::AddAccountPages() {
    using net::Method;

    auto account_page = [this](Call& call, json::object context, int status) {
        context["title"] = call.texts->Text("account_title");
        context["email"] = call.user->email;
        json::array languages;
        for (const auto& catalog : catalogs_.all()) {
            languages.push_back(json::object{{"code", catalog->language()},
                                             {"name", catalog->Text("language_name")},
                                             {"selected", catalog->language() == call.texts->language()}});
        }
        context["languages"] = std::move(languages);
        return Render(call, "account", std::move(context), status);
    };

    Add(Method::kGet, "/account", Access::kUser,
        [account_page](Call& call) { return account_page(call, json::object{}, 200); });

    Add(Method::kPost, "/account/password", Access::kUser, [this, account_page](Call& call) {
        json::object context;
        if (call.form.Get("new_password") != call.form.Get("password_again")) {
            context["errors"] = json::object{{"password_again", call.texts->Text("signup_mismatch")}};
            return account_page(call, std::move(context), 422);
        }
        auto status =
            accounts_.ChangePassword(*call.user, call.form.Get("current_password"), call.form.Get("new_password"));
        if (!status) {
            AddFormError(context, status.error());
            return account_page(call, std::move(context), StatusFor(status.error()));
        }
        context["notice"] = call.texts->Text("account_password_changed");
        return account_page(call, std::move(context), 200);
    });

    Add(Method::kPost, "/account/email", Access::kUser, [this, account_page](Call& call) {
        json::object context;
        const std::string email = call.form.Get("new_email");
        auto status = accounts_.RequestEmailChange(*call.user, call.form.Get("email_password"), email);
        if (!status) {
            const auto& e = status.error();
            // The form's fields are new_email and email_password; the domain names email and password.
            Error renamed = e;
            if (e.message.starts_with("email: ")) renamed.message = "new_email: " + e.message.substr(7);
            if (e.message.starts_with("password: ")) renamed.message = "email_password: " + e.message.substr(10);
            AddFormError(context, renamed);
            context["new_email"] = email;
            return account_page(call, std::move(context), StatusFor(e));
        }
        context["notice"] = call.texts->Text("account_email_sent");
        return account_page(call, std::move(context), 200);
    });

    Add(Method::kPost, "/account/language", Access::kUser, [this](Call& call) {
        const std::string language = call.form.Get("language");
        if (catalogs_.For(language).language() != language) return ErrorPage(call, 422, "language: unknown");
        if (auto status = store_.users().SetUserLanguage(call.user->id, language); !status) {
            return ErrorPage(call, status.error());
        }
        return Redirect(call, "/account");
    });

    Add(Method::kPost, "/account/delete", Access::kUser, [this, account_page](Call& call) {
        json::object context;
        if (call.form.Get("confirm") != call.user->email) {
            context["errors"] = json::object{{"confirm", call.texts->Text("account_delete_confirm_wrong")}};
            return account_page(call, std::move(context), 422);
        }
        auto status = accounts_.DeleteAccount(*call.user, call.form.Get("delete_password"));
        if (!status) {
            Error renamed = status.error();
            if (renamed.message.starts_with("password: "))
                renamed.message = "delete_password: " + renamed.message.substr(10);
            AddFormError(context, renamed);
            return account_page(call, std::move(context), StatusFor(status.error()));
        }
        call.headers.emplace_back("set-cookie", "mh_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
        call.user.reset();
        return Render(call, "message",
                      json::object{{"title", call.texts->Text("account_title")},
                                   {"message", call.texts->Text("account_deleted")}});
    });
}

}  // namespace mh::web
