#include "domain/accounts.hpp"

#include "domain/passwords.hpp"
#include "domain/secrets.hpp"

namespace mh::domain {
namespace {

constexpr auto kVerifyLifetime = std::chrono::hours(48);
constexpr auto kResetLifetime = std::chrono::hours(1);
constexpr auto kEmailChangeLifetime = std::chrono::hours(24);

Result<std::string> HashFor(std::string_view field, std::string_view password) {
    auto hash = HashPassword(password);
    if (!hash) return MakeError(Errc::kInvalidArgument, std::string(field) + ": " + hash.error().message);
    return hash;
}

}  // namespace

bool LooksLikeEmail(std::string_view email) {
    const auto at = email.find('@');
    return at != std::string_view::npos && at > 0 && at + 1 < email.size() &&
           email.find_first_of(" \t\r\n<>") == std::string_view::npos && email.size() <= 254;
}

Accounts::Accounts(store::Repositories store, const Clock& clock, SendMail mail, std::string public_url)
    : store_(store), clock_(clock), mail_(std::move(mail)), public_url_(std::move(public_url)) {}

Result<store::User> Accounts::SignUp(std::string_view email, std::string_view password, std::string_view display_name) {
    if (!LooksLikeEmail(email)) return MakeError(Errc::kInvalidArgument, "email: is not an e-mail address");
    if (display_name.size() > 200) return MakeError(Errc::kInvalidArgument, "display_name: is longer than 200 bytes");
    MH_ASSIGN_OR_RETURN(auto hash, HashFor("password", password));
    auto user = store_.users().CreateUser({std::string(email), std::string(display_name), hash, false});
    if (!user) {
        if (user.error().code == Errc::kAlreadyExists) {
            return MakeError(Errc::kAlreadyExists, "email: an account with this address exists already");
        }
        return user.error();
    }
    // The home tenant: named after the address, which is unique; a clash (an old tenant) gets a number.
    const std::string base = std::string(email);
    for (int attempt = 1;; ++attempt) {
        const std::string name = attempt == 1 ? base : base + " " + std::to_string(attempt);
        auto tenant = store_.tenants().CreateTenant({name});
        if (tenant) {
            MH_RETURN_IF_ERROR(store_.users().SetMember(tenant->id, user->id, Role::kOwner));
            break;
        }
        if (tenant.error().code != Errc::kAlreadyExists || attempt == 20) return tenant.error();
    }
    MH_RETURN_IF_ERROR(MailToken(*user, store::EmailTokenPurpose::kVerify, kVerifyLifetime, user->email, "",
                                 "Confirm your meterhub account", "Open this link to confirm your e-mail address:\n",
                                 "/verify?token="));
    return user;
}

Status Accounts::Verify(std::string_view token) {
    MH_ASSIGN_OR_RETURN(auto found,
                        store_.auth().ConsumeEmailToken(store::EmailTokenPurpose::kVerify, Sha256Hex(token), clock_.Now()));
    return store_.users().SetEmailVerified(found.first, true);
}

Status Accounts::RequestPasswordReset(std::string_view email) {
    auto user = store_.users().FindUserByEmail(email);
    if (!user) {
        if (user.error().code == Errc::kNotFound) return {};
        return user.error();
    }
    return MailToken(*user, store::EmailTokenPurpose::kReset, kResetLifetime, user->email, "",
                     "Reset your meterhub password", "Open this link within an hour to choose a new password:\n",
                     "/reset-password?token=");
}

Status Accounts::ResetPassword(std::string_view token, std::string_view password) {
    MH_ASSIGN_OR_RETURN(auto hash, HashFor("password", password));
    MH_ASSIGN_OR_RETURN(auto found,
                        store_.auth().ConsumeEmailToken(store::EmailTokenPurpose::kReset, Sha256Hex(token), clock_.Now()));
    return store_.users().SetPasswordHash(found.first, hash);
}

Status Accounts::ChangePassword(const store::User& user, std::string_view current, std::string_view next) {
    if (!VerifyPassword(user.password_hash, current)) {
        return MakeError(Errc::kPermissionDenied, "current_password: is wrong");
    }
    MH_ASSIGN_OR_RETURN(auto hash, HashFor("new_password", next));
    return store_.users().SetPasswordHash(user.id, hash);
}

Status Accounts::RequestEmailChange(const store::User& user, std::string_view password, std::string_view new_email) {
    if (!VerifyPassword(user.password_hash, password)) return MakeError(Errc::kPermissionDenied, "password: is wrong");
    if (!LooksLikeEmail(new_email)) return MakeError(Errc::kInvalidArgument, "email: is not an e-mail address");
    if (store_.users().FindUserByEmail(new_email)) {
        return MakeError(Errc::kAlreadyExists, "email: an account with this address exists already");
    }
    return MailToken(user, store::EmailTokenPurpose::kChangeEmail, kEmailChangeLifetime, new_email, new_email,
                     "Confirm your new meterhub address", "Open this link to use this address for meterhub:\n",
                     "/confirm-email?token=");
}

Status Accounts::ConfirmEmailChange(std::string_view token) {
    MH_ASSIGN_OR_RETURN(
        auto found, store_.auth().ConsumeEmailToken(store::EmailTokenPurpose::kChangeEmail, Sha256Hex(token), clock_.Now()));
    MH_RETURN_IF_ERROR(store_.users().SetEmail(found.first, found.second));
    return store_.users().SetEmailVerified(found.first, true);
}

Status Accounts::DeleteAccount(const store::User& user, std::string_view password) {
    if (!VerifyPassword(user.password_hash, password)) return MakeError(Errc::kPermissionDenied, "password: is wrong");
    return store_.users().DeleteUser(user.id);
}

Result<NewBrowserSession> Accounts::StartSession(const store::User& user, std::chrono::seconds lifetime) {
    NewBrowserSession session{RandomHex(32), RandomHex(16), clock_.Now() + lifetime};
    MH_RETURN_IF_ERROR(
        store_.auth().CreateSession(Sha256Hex(session.cookie_value), user.id, session.csrf_token, session.expires_at));
    return session;
}

Status Accounts::MailToken(const store::User& user, store::EmailTokenPurpose purpose, std::chrono::hours lifetime,
                           std::string_view to, std::string_view new_email, std::string_view subject,
                           std::string_view text, std::string_view path) {
    const std::string token = RandomHex(32);
    MH_RETURN_IF_ERROR(store_.auth().CreateEmailToken(user.id, purpose, Sha256Hex(token), new_email, clock_.Now() + lifetime));
    mail_(std::string(to), std::string(subject), std::string(text) + public_url_ + std::string(path) + token);
    return {};
}

}  // namespace mh::domain
