// Accounts: what a person does with their account, shared by the REST API and the web pages: sign up
// (with a home tenant they own and a verification mail), verify, log in a browser session, reset or change
// the password, change the e-mail address (confirmed from the new address), delete the account.
//
// Mails go through the injected SendMail; links point at `public_url`. Thread-safe (state is in the store).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/database.hpp"

namespace mh::domain {

using SendMail = std::function<void(const std::string& to, const std::string& subject, const std::string& body)>;

struct NewBrowserSession {
    std::string cookie_value;  // the secret the browser keeps; only its hash is stored
    std::string csrf_token;
    Timestamp expires_at;
};

class Accounts {
  public:
    Accounts(store::Repositories store, const Clock& clock, SendMail mail, std::string public_url);

    // Creates the user and a tenant named after them with the user as owner, and mails the verification link.
    // Errors name the field ("email: ...", "password: ...").
    Result<store::User> SignUp(std::string_view email, std::string_view password, std::string_view display_name);
    Status Verify(std::string_view token);
    // Mails a reset link when the address is known; says nothing either way.
    Status RequestPasswordReset(std::string_view email);
    Status ResetPassword(std::string_view token, std::string_view password);
    Status ChangePassword(const store::User& user, std::string_view current, std::string_view next);
    // Mails a confirmation link to the new address; the address changes when it is opened.
    Status RequestEmailChange(const store::User& user, std::string_view password, std::string_view new_email);
    Status ConfirmEmailChange(std::string_view token);
    // Deletes the user (and, through the store, their memberships and sessions) after checking the password.
    Status DeleteAccount(const store::User& user, std::string_view password);

    Result<NewBrowserSession> StartSession(const store::User& user, std::chrono::seconds lifetime);

  private:
    Status MailToken(const store::User& user, store::EmailTokenPurpose purpose, std::chrono::hours lifetime,
                     std::string_view to, std::string_view new_email, std::string_view subject, std::string_view text,
                     std::string_view path);

    store::Repositories store_;
    const Clock& clock_;
    SendMail mail_;
    std::string public_url_;
};

bool LooksLikeEmail(std::string_view email);

}  // namespace mh::domain
