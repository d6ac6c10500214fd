#include "net/smtp_client.hpp"

#include <date/date.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "core/clock.hpp"

namespace mh::net {
namespace {

constexpr std::size_t kMaxReplyBytes = 64 * 1024;

bool HasLineBreak(const std::string& s) {
    return s.find_first_of("\r\n") != std::string::npos;
}

class Connection {
  public:
    Connection(const SmtpOptions& options) : options_(options) {}
    ~Connection() {
        if (fd_ >= 0) ::close(fd_);
    }

    Status Open() {
        addrinfo hints{};
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* found = nullptr;
        const std::string port = std::to_string(options_.port);
        if (int rc = ::getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
            return Unavailable(fmt::format("cannot resolve {}: {}", options_.host, ::gai_strerror(rc)));
        }
        Status status = Unavailable("no address");
        for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
            const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK, a->ai_protocol);
            if (fd < 0) continue;
            if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 || (errno == EINPROGRESS && Wait(fd, POLLOUT))) {
                int error = 0;
                socklen_t len = sizeof error;
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
                if (error == 0) {
                    fd_ = fd;
                    break;
                }
                status = Unavailable(fmt::format("cannot connect: {}", std::strerror(error)));
            } else {
                status = Unavailable("cannot connect: timed out");
            }
            ::close(fd);
        }
        ::freeaddrinfo(found);
        return fd_ >= 0 ? Ok() : status;
    }

    // Sends `line` (without CRLF, unless empty) and expects a reply with the given first digit.
    Status Command(const std::string& line, char expected) {
        if (!line.empty()) MH_RETURN_IF_ERROR(Send(line + "\r\n"));
        return Expect(expected, line.empty() ? "greeting" : line.substr(0, line.find(' ')));
    }

    Status Send(std::string_view data) {
        while (!data.empty()) {
            const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (!Wait(fd_, POLLOUT)) return Unavailable("timed out sending");
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return Unavailable(fmt::format("send failed: {}", std::strerror(errno)));
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return Ok();
    }

    // Reads a (possibly multi-line) reply: lines "250-..." continue, "250 ..." ends it.
    Status Expect(char expected, const std::string& step) {
        for (;;) {
            const auto end = buffer_.find("\r\n");
            if (end != std::string::npos) {
                const std::string line = buffer_.substr(0, end);
                buffer_.erase(0, end + 2);
                if (line.size() < 3) return Refused(step, line);
                if (line.size() > 3 && line[3] == '-') continue;
                if (line[0] != expected) return Refused(step, line);
                return Ok();
            }
            if (buffer_.size() > kMaxReplyBytes) return Refused(step, "an endless reply");
            if (!Wait(fd_, POLLIN)) return Unavailable(fmt::format("no reply to {} in time", step));
            char chunk[4096];
            const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) return Unavailable(fmt::format("the server closed the connection at {}", step));
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

  private:
    bool Wait(int fd, short events) const {
        pollfd p{fd, events, 0};
        int ready;
        do {
            ready = ::poll(&p, 1, static_cast<int>(options_.timeout.count()));
        } while (ready < 0 && errno == EINTR);
        return ready > 0;
    }
    Error Unavailable(const std::string& what) const {
        return MakeError(Errc::kUnavailable, fmt::format("smtp {}:{}: {}", options_.host, options_.port, what));
    }
    Error Refused(const std::string& step, const std::string& reply) const {
        return MakeError(Errc::kFailedPrecondition,
                         fmt::format("smtp {}:{}: {} refused: {}", options_.host, options_.port, step, reply));
    }

    const SmtpOptions& options_;
    int fd_ = -1;
    std::string buffer_;
};

std::string Domain(const std::string& address) {
    const auto at = address.rfind('@');
    return at == std::string::npos ? "localhost" : address.substr(at + 1);
}

}  // namespace

std::string FormatMessage(const MailMessage& message, Timestamp date, const std::string& message_id) {
    std::string out;
    out += "From: " + message.from + "\r\n";
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
        if (line.starts_with('.')) out += '.';  // dot-stuffing (RFC 5321 4.5.2)
        out += line;
        out += "\r\n";
        at = end + 1;
    }
    return out;
}

Status SendMail(const SmtpOptions& options, const MailMessage& message, Timestamp date) {
    for (const auto* field : {&message.from, &message.to, &message.subject}) {
        if (HasLineBreak(*field)) return MakeError(Errc::kInvalidArgument, "smtp: line break in a mail header");
    }
    if (message.to.find('@') == std::string::npos || message.from.find('@') == std::string::npos) {
        return MakeError(Errc::kInvalidArgument, "smtp: sender and recipient must be e-mail addresses");
    }
    std::mt19937_64 random(std::random_device{}());
    const std::string id = fmt::format("{:016x}.{:x}", random(), ToMillis(date));
    Connection c(options);
    MH_RETURN_IF_ERROR(c.Open());
    MH_RETURN_IF_ERROR(c.Command("", '2'));
    MH_RETURN_IF_ERROR(c.Command("EHLO " + options.helo_name, '2'));
    MH_RETURN_IF_ERROR(c.Command("MAIL FROM:<" + message.from + ">", '2'));
    MH_RETURN_IF_ERROR(c.Command("RCPT TO:<" + message.to + ">", '2'));
    MH_RETURN_IF_ERROR(c.Command("DATA", '3'));
    MH_RETURN_IF_ERROR(c.Send(FormatMessage(message, date, id) + ".\r\n"));
    MH_RETURN_IF_ERROR(c.Expect('2', "the message"));
    (void)c.Command("QUIT", '2');  // the mail is accepted; a rude goodbye changes nothing
    return Ok();
}

}  // namespace mh::net
