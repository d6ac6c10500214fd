// MailConfig: the [mail] section, outgoing e-mail (verification and password-reset links) through an SMTP server:
// a provider's submission port (587 with STARTTLS and a login, as most providers want), implicit TLS (465), or a LAN
// relay without either. The old [smtp] section (host, port, from) is still read as a deprecated alias.
//
// This file is the one owner of the mail rules: MailConfig::Validate() (run when the config is loaded) and
// SendMail (net/smtp_client.hpp, for options from anywhere) judge hosts and addresses with the same IsMailHost()
// and IsMailAddress(); SmtpOptionsFrom() is the one mapping onto the client's options. Plain values and pure
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/config_section.hpp"
#include "core/result.hpp"
#include "net/smtp_client.hpp"

namespace mh::net {

struct MailConfig {
    static constexpr std::string_view kSection = "mail";

    std::string host;                   // the SMTP server; empty: e-mails are written to the log instead of sent
    std::int64_t port = 587;            // 587 submission (starttls), 465 (tls), 25 (a relay, often none)
    std::string security = "starttls";  // starttls (required, never skipped), tls (implicit) or none (plain text)
    std::string username;               // log in with these; both empty: no login
    std::string password;
    std::string from = "meterhub@localhost";  // the sender address (envelope and From:)
    std::string from_name;                    // shown with it, e.g. "Deye Hard"; empty: the address alone
    std::string ca_file;  // PEM file of CAs to verify the server with; empty: the system's store (never unverified)
    std::int64_t timeout_s = 30;  // one delivery attempt, connect to goodbye

    // Also the deprecated smtp.host, smtp.port and smtp.from; a config that uses them keeps the old plain client's
    // defaults (port 25, no TLS) unless mail.port and mail.security say otherwise, with a warning.
    void Describe(config::Section& section);
    Status Validate() const;
};

// A host name, an IPv4 address or an IPv6 address (bracketed or not): nothing that could change the URL it goes in
// (no port, path, user or spaces).
bool IsMailHost(std::string_view host);
// An e-mail address as SMTP carries it: something@something, at most 254 bytes, no spaces, controls, '<' or '>'.
bool IsMailAddress(std::string_view address);

// The SMTP client's options for a valid config with a host. kInvalidArgument when the config is invalid or
// mail.ca_file cannot be read (checked here, not in Validate(), because only sending needs the file).
Result<SmtpOptions> SmtpOptionsFrom(const MailConfig& mail);

}  // namespace mh::net
