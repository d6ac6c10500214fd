#include "net/smtp_client.hpp"

#include <date/date.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <random>

#include "net/curl_support.hpp"
#include "net/mail_config.hpp"

namespace mh::net {
namespace {

constexpr std::size_t kMaxReplyBytes = 512;  // of the server reply kept for an error message

bool HasLineBreak(const std::string& s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos;
}

std::string Base64(std::string_view bytes) {
    static constexpr std::string_view kDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
        std::uint32_t group = 0;
        for (std::size_t k = 0; k < 3; ++k) {
            group = (group << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
        }
        for (std::size_t k = 0; k < 4; ++k) out += k <= n ? kDigits[(group >> (18 - 6 * k)) & 0x3f] : '=';
    }
    return out;
}

// A display name as an RFC 5322 phrase: a quoted string when it is printable ASCII, otherwise RFC 2047
// encoded-words of at most 45 bytes each (75 characters on the wire), never splitting a UTF-8 sequence.
std::string DisplayName(std::string_view name) {
    const bool ascii = std::all_of(name.begin(), name.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
    std::string out;
    if (ascii) {
        out += '"';
        for (char c : name) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
        return out;
    }
    std::size_t at = 0;
    while (at < name.size()) {
        std::size_t end = std::min(name.size(), at + 45);
        while (end < name.size() && end > at + 1 && (static_cast<unsigned char>(name[end]) & 0xc0) == 0x80) --end;
        if (!out.empty()) out += ' ';
        out += "=?UTF-8?B?" + Base64(name.substr(at, end - at)) + "?=";
        at = end;
    }
    return out;
}

std::string Domain(const std::string& address) {
    const auto at = address.rfind('@');
    return at == std::string::npos ? "localhost" : address.substr(at + 1);
}

// What one attempt collects; the callbacks' user data.
struct Attempt {
    std::string_view payload;  // what is left to upload
    std::stop_token stop;
    std::string last_reply;    // the server's last reply line
    std::string last_command;  // the verb of the last command we sent (never its arguments: AUTH carries secrets)
    std::string replied_to;    // the command last_reply answered; empty for the greeting
};

std::size_t OnRead(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto& a = *static_cast<Attempt*>(user);
    const std::size_t n = std::min(size * count, a.payload.size());
    std::memcpy(buffer, a.payload.data(), n);
    a.payload.remove_prefix(n);
    return n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<Attempt*>(user)->stop.stop_requested() ? 1 : 0;  // non-zero aborts the transfer
}

int OnDebug(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
    auto& a = *static_cast<Attempt*>(user);
    std::string_view text(data, size);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (type == CURLINFO_HEADER_IN) {
        // The goodbye after a failure would hide the reply that caused it.
        if (a.last_command != "QUIT") {
            a.last_reply = std::string(text.substr(0, kMaxReplyBytes));
            a.replied_to = a.last_command;
        }
    } else if (type == CURLINFO_HEADER_OUT) {
        static constexpr std::array<std::string_view, 8> kVerbs = {"EHLO", "HELO", "STARTTLS", "AUTH",
                                                                   "MAIL", "RCPT", "DATA",     "QUIT"};
        const std::string_view verb = text.substr(0, text.find(' '));
        if (std::find(kVerbs.begin(), kVerbs.end(), verb) != kVerbs.end()) a.last_command = std::string(verb);
    }
    return 0;
}

Error Failure(const SmtpOptions& options, CURLcode code, const char* detail, const Attempt& attempt) {
    const std::string what = detail[0] != '\0' ? detail : curl_easy_strerror(code);
    const std::string said = attempt.last_reply.empty() ? "" : "; the server said: " + attempt.last_reply;
    const auto error = [&](Errc errc, const std::string& message) {
        return MakeError(errc, fmt::format("smtp {}:{}: {}", options.host, options.port, message));
    };
    if (auto tls = curl::TlsFailure(code)) return error(tls->first, tls->second + " (" + what + ")");
    switch (code) {
        case CURLE_LOGIN_DENIED: return error(Errc::kUnauthenticated, "the login was refused" + said);
        case CURLE_USE_SSL_FAILED:
            return error(Errc::kFailedPrecondition, "the server offers no STARTTLS (mail.security = starttls)" + said);
        case CURLE_ABORTED_BY_CALLBACK: return error(Errc::kUnavailable, "abandoned: the outbox is stopping");
        case CURLE_OPERATION_TIMEDOUT: return error(Errc::kUnavailable, "timed out (" + what + ")" + said);
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT: return error(Errc::kUnavailable, what);
        default: break;
    }
    // A refusal: the reply code says whether it is for now (4xx, worth retrying) or for good (5xx).
    const std::string step = attempt.replied_to.empty() ? "the server" : attempt.replied_to;
    if (!attempt.last_reply.empty() && attempt.last_reply[0] == '5') {
        const bool wants_tls = attempt.last_reply.find("TLS") != std::string::npos ||
                               attempt.last_reply.find("ncryption") != std::string::npos;
        const std::string hint = options.security == MailSecurity::kNone && wants_tls
                                     ? " (the server wants TLS: set mail.security = starttls or tls)"
                                     : "";
        return error(Errc::kFailedPrecondition, step + " refused: " + attempt.last_reply + hint);
    }
    if (!attempt.last_reply.empty() && attempt.last_reply[0] == '4') {
        return error(Errc::kUnavailable, step + " refused for now: " + attempt.last_reply);
    }
    if (code == CURLE_OUT_OF_MEMORY) return error(Errc::kInternal, what);
    return error(Errc::kUnavailable, what + said);
}

}  // namespace

std::optional<MailSecurity> ParseMailSecurity(std::string_view text) {
    if (text == "starttls") return MailSecurity::kStartTls;
    if (text == "tls") return MailSecurity::kTls;
    if (text == "none") return MailSecurity::kNone;
    return std::nullopt;
}

std::string FormatMessage(const MailMessage& message, Timestamp date, const std::string& message_id) {
    std::string out;
    out += "From: " +
           (message.from_name.empty() ? message.from : DisplayName(message.from_name) + " <" + message.from + ">") +
           "\r\n";
    out += "To: " + message.to + "\r\n";
    out += "Subject: " + message.subject + "\r\n";
    out +=
        "Date: " + date::format("%a, %d %b %Y %H:%M:%S +0000", std::chrono::floor<std::chrono::seconds>(date)) + "\r\n";
    out += "Message-ID: <" + message_id + "@" + Domain(message.from) + ">\r\n";
    out += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
    std::size_t at = 0;
    while (at < message.body.size()) {
        auto end = message.body.find('\n', at);
        if (end == std::string::npos) end = message.body.size();
        std::string_view line(message.body.data() + at, end - at);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        out += line;
        out += "\r\n";
        at = end + 1;
    }
    return out;
}

Status SendMail(const SmtpOptions& options, const MailMessage& message, Timestamp date, std::stop_token stop) {
    for (const auto* field : {&message.from, &message.to, &message.subject, &message.from_name}) {
        if (HasLineBreak(*field)) return MakeError(Errc::kInvalidArgument, "smtp: line break in a mail header");
    }
    if (!IsMailAddress(message.to) || !IsMailAddress(message.from)) {
        return MakeError(Errc::kInvalidArgument, "smtp: sender and recipient must be e-mail addresses");
    }
    if (!IsMailHost(options.host) || HasLineBreak(options.helo_name) ||
        options.helo_name.find('/') != std::string::npos) {
        return MakeError(Errc::kInvalidArgument, "smtp: '" + options.host + "' is not a host name");
    }
    std::mt19937_64 random(std::random_device{}());
    const std::string payload = FormatMessage(message, date, fmt::format("{:016x}.{:x}", random(), ToMillis(date)));

    curl::Easy easy = curl::NewEasy();
    curl::Slist recipients;
    const std::string to = "<" + message.to + ">", from = "<" + message.from + ">";
    if (!easy || !curl::Append(recipients, to.c_str())) return MakeError(Errc::kInternal, "smtp: out of memory");
    const bool bracket = options.host.find(':') != std::string::npos && !options.host.starts_with('[');
    const std::string url =
        fmt::format("{}://{}{}{}:{}/{}", options.security == MailSecurity::kTls ? "smtps" : "smtp", bracket ? "[" : "",
                    options.host, bracket ? "]" : "", options.port, options.helo_name);
    Attempt attempt{payload, std::move(stop), {}, {}, {}};
    std::array<char, CURL_ERROR_SIZE> detail{};
    CURL* c = easy.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.timeout.count()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
    // STARTTLS required, never skipped when the server does not offer it; none means none, even when offered.
    curl_easy_setopt(c, CURLOPT_USE_SSL, options.security == MailSecurity::kNone ? CURLUSESSL_NONE : CURLUSESSL_ALL);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str());
    if (!options.username.empty()) {
        curl_easy_setopt(c, CURLOPT_USERNAME, options.username.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, options.password.c_str());
    }
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(payload.size()));
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &OnRead);
    curl_easy_setopt(c, CURLOPT_READDATA, &attempt);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &attempt);
    // Verbose only to see the server's replies for error messages; the debug callback prints nothing.
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, &OnDebug);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, &attempt);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail.data());
    const CURLcode code = curl_easy_perform(c);
    if (code != CURLE_OK) return Failure(options, code, detail.data(), attempt);
    return Ok();
}

}  // namespace mh::net
