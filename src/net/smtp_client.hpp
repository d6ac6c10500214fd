// SMTP: sends one plain-text e-mail to a relay (RFC 5321): EHLO, MAIL FROM, RCPT TO, DATA (dot-stuffed), QUIT.
// Blocking, with a timeout on every step; call it from a background thread (MailOutbox), never an I/O thread.
//
// Not implemented, and refused loudly at start-up instead (config validation): STARTTLS/TLS and AUTH. Point
// smtp.host at a relay that accepts mail from this host without them (a local Postfix or the LAN's relay).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/result.hpp"
#include "core/time.hpp"

namespace mh::net {

struct SmtpOptions {
    std::string host;
    std::uint16_t port = 25;
    std::string helo_name = "meterhub";
    std::chrono::milliseconds timeout{10'000};  // per step: connect, each command's reply
};

struct MailMessage {
    std::string from;
    std::string to;
    std::string subject;
    std::string body;  // UTF-8 text; lines end in \n or \r\n
};

// kInvalidArgument for addresses or a subject with line breaks (header injection) or no '@'; kUnavailable when
// the relay cannot be reached or times out; kFailedPrecondition when it refuses (its reply is in the message).
Status SendMail(const SmtpOptions& options, const MailMessage& message, Timestamp date);

// The message as sent after DATA, before the terminating "." line: headers, a blank line, the dot-stuffed body,
// all lines ending in CRLF. Exposed for tests.
std::string FormatMessage(const MailMessage& message, Timestamp date, const std::string& message_id);

}  // namespace mh::net
