// SMTP: sends one plain-text e-mail through an SMTP server, with libcurl's SMTP (smtp:// and smtps://): EHLO,
// STARTTLS when asked for, AUTH with the mechanism both sides know, MAIL FROM, RCPT TO, DATA (libcurl dot-stuffs
// the body and ends it), QUIT. The server's certificate and name are always verified.
//
// Blocking, bounded by `timeout` for the whole attempt; call it from a background thread (MailOutbox), never an
// I/O thread. No retries here: MailOutbox retries what is worth retrying. Stateless and thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"

namespace mh::net {

enum class MailSecurity {
    kStartTls,  // plain connect, then STARTTLS, required: a server that does not offer it is an error (port 587)
    kTls,       // TLS from the first byte (port 465)
    kNone,      // no TLS at all (a relay on the LAN or this machine; port 25)
};

// "starttls", "tls" or "none"; nothing for anything else.
std::optional<MailSecurity> ParseMailSecurity(std::string_view text);

struct SmtpOptions {
    std::string host;
    std::uint16_t port = 587;
    MailSecurity security = MailSecurity::kStartTls;
    std::string username;  // non-empty: log in (when the server offers AUTH) with this and `password`
    std::string password;
    std::string ca_file;  // PEM file of CAs to trust; empty: the system's store
    std::string helo_name = "meterhub";
    std::chrono::milliseconds timeout{30'000};  // one attempt: connect, TLS, login, sending, goodbye
};

struct MailMessage {
    std::string from;
    std::string to;
    std::string subject;
    std::string body;       // UTF-8 text; lines end in \n or \r\n
    std::string from_name;  // display name in From: (RFC 2047-encoded when not ASCII); empty: the address alone
};

// kInvalidArgument for addresses, a subject or a name with line breaks (header injection), addresses without '@'
// or with '<', '>' or spaces, and a host that is not one; kUnavailable when the server cannot be reached, times
// out, breaks off or refuses for now (4xx); kUnauthenticated when it refuses the login; kFailedPrecondition when
// it refuses for good (5xx, its reply is in the message), offers no STARTTLS, or its certificate fails
// verification. A stop request on `stop` abandons the attempt (kUnavailable).
Status SendMail(const SmtpOptions& options, const MailMessage& message, Timestamp date, std::stop_token stop = {});

// The message as handed to the server after DATA: headers, a blank line, the body, all lines ending in CRLF.
// Not dot-stuffed: libcurl does that on the wire. Exposed for tests.
std::string FormatMessage(const MailMessage& message, Timestamp date, const std::string& message_id);

}  // namespace mh::net
