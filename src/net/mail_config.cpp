#include "net/mail_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace mh::net {
namespace {

bool IsLoopbackHost(std::string_view host) {
    return host == "localhost" || host.starts_with("127.") || host == "::1" || host == "[::1]";
}

}  // namespace

bool IsMailHost(std::string_view host) {
    if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
    if (host.empty() || host.size() > 253) return false;
    if (std::count(host.begin(), host.end(), ':') >= 2) {  // IPv6: hex digits, colons, maybe a dotted IPv4 tail
        return std::all_of(host.begin(), host.end(), [](char c) {
            return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
        });
    }
    return std::all_of(host.begin(), host.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-'; });
}

bool IsMailAddress(std::string_view address) {
    const auto at = address.find('@');
    return at != std::string_view::npos && at > 0 && at + 1 < address.size() && address.size() <= 254 &&
           std::none_of(address.begin(), address.end(), [](char c) {
               return static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == 0x7f;
           });
}

void MailConfig::Describe(config::Section& section) {
    section.Key("host", host, "the SMTP server; empty: e-mails are written to the log instead")
        .Key("port", port, "587 submission (starttls), 465 implicit TLS (tls), 25 a relay")
        .Key("security", security, "starttls (required, never skipped), tls (from the first byte) or none")
        .Key("username", username, "SMTP AUTH login; both it and password empty: no login")
        .Key("password", password, "its password (MH_MAIL_PASSWORD keeps it out of the file)")
        .Key("from", from, "the sender address (envelope and From:)")
        .Key("from_name", from_name, "the name shown with it; empty: the address alone")
        .Key("ca_file", ca_file, "PEM file of CAs to verify the server with; empty: the system's store")
        .Key("timeout_s", timeout_s, "one delivery attempt, connect to goodbye, must finish within this (s)");
    // [smtp] belonged to the hand-written plain-SMTP client. A config that uses it keeps that client's defaults
    // (port 25, no TLS) unless mail.port and mail.security say otherwise, so an old relay setup goes on working.
    section.DeprecatedAlias("smtp.host", "host")
        .DeprecatedAlias("smtp.port", "port")
        .DeprecatedAlias("smtp.from", "from");
    section.AfterLoad([this](const config::Loaded& loaded, std::vector<std::string>& warnings) {
        if (!loaded.used_alias) return;
        const bool port_set = loaded.Assigned("port");
        const bool security_set = loaded.Assigned("security");
        if (!port_set) port = 25;
        if (!security_set) security = "none";
        if (port_set && security_set) return;
        const std::string defaults = !port_set && !security_set ? "mail.port defaults to 25 and mail.security to none"
                                     : !port_set                ? "mail.port defaults to 25"
                                                                : "mail.security defaults to none";
        warnings.push_back("config: with the deprecated [smtp] keys, " + defaults +
                           ", as before; set them in [mail] to change that");
    });
}

Status MailConfig::Validate() const {
    if (port < 1 || port > 65535) return config::Invalid("mail.port must be 1..65535");
    if (!ParseMailSecurity(security)) {
        return config::Invalid("mail.security must be starttls, tls or none (got '" + security + "')");
    }
    if (timeout_s < 1 || timeout_s > 600) return config::Invalid("mail.timeout_s must be 1..600");
    if (username.empty() != password.empty()) {
        return config::Invalid("mail.username and mail.password go together: set both to log in, or neither");
    }
    if (host.empty()) return Ok();  // mails go to the log; the rest is not used
    if (!IsMailHost(host)) {
        return config::Invalid("mail.host must be a host name or an IP address (got '" + host + "')");
    }
    // A password in clear text over the network is refused; to a server on this machine it never leaves the host.
    if (!username.empty() && security == "none" && !IsLoopbackHost(host)) {
        return config::Invalid(
            "mail.security = none would send mail.password unencrypted to " + host +
            "; use starttls or tls (a login without TLS is allowed only to a server on this machine)");
    }
    if (!IsMailAddress(from)) return config::Invalid("mail.from must be an e-mail address (got '" + from + "')");
    if (from_name.size() > 100 || from_name.find_first_of("\r\n") != std::string::npos) {
        return config::Invalid("mail.from_name must be one line of at most 100 bytes");
    }
    return Ok();
}

Result<SmtpOptions> SmtpOptionsFrom(const MailConfig& mail) {
    MH_RETURN_IF_ERROR(mail.Validate());
    if (mail.host.empty()) return config::Invalid("mail.host is empty: there is no SMTP server to send through");
    if (!mail.ca_file.empty() && ::access(mail.ca_file.c_str(), R_OK) != 0) {
        return config::Invalid("mail.ca_file " + mail.ca_file + " cannot be read");
    }
    SmtpOptions options;
    options.host = mail.host;
    options.port = static_cast<std::uint16_t>(mail.port);
    options.security = *ParseMailSecurity(mail.security);
    options.username = mail.username;
    options.password = mail.password;
    options.ca_file = mail.ca_file;
    options.timeout = std::chrono::seconds(mail.timeout_s);
    return options;
}

}  // namespace mh::net
