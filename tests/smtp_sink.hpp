// A tiny SMTP server for tests: accepts connections on 127.0.0.1 (free port), speaks just enough of RFC 5321 to
// take messages, and keeps what it received. `refuse_rcpt` makes it answer RCPT with 550.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mh::testing {

class SmtpSink {
  public:
    struct Received {
        std::string mail_from, rcpt_to, data;
    };

    explicit SmtpSink(bool refuse_rcpt = false) : refuse_rcpt_(refuse_rcpt) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
        ::listen(listener_, 8);
        socklen_t len = sizeof address;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &len);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { Serve(); });
    }
    ~SmtpSink() {
        stop_ = true;
        thread_.join();
        ::close(listener_);
    }

    std::uint16_t port() const { return port_; }

    // Waits (bounded) until `n` messages arrived; returns what arrived.
    std::vector<Received> WaitFor(std::size_t n, std::chrono::seconds timeout = std::chrono::seconds(10)) {
        std::unique_lock lock(mutex_);
        arrived_.wait_for(lock, timeout, [&] { return received_.size() >= n; });
        return received_;
    }

  private:
    void Serve() {
        while (!stop_) {
            pollfd p{listener_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd >= 0) Session(fd);
        }
    }

    void Session(int fd) {
        std::string buffer;
        Received current;
        bool in_data = false;
        const auto say = [fd](const std::string& line) { (void)::send(fd, line.data(), line.size(), MSG_NOSIGNAL); };
        say("220 sink ESMTP\r\n");
        char chunk[4096];
        for (;;) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 5000) <= 0) break;
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0) break;
            buffer.append(chunk, static_cast<std::size_t>(n));
            for (auto end = buffer.find("\r\n"); end != std::string::npos; end = buffer.find("\r\n")) {
                const std::string line = buffer.substr(0, end);
                buffer.erase(0, end + 2);
                if (in_data) {
                    if (line == ".") {
                        in_data = false;
                        say("250 queued\r\n");
                        std::lock_guard lock(mutex_);
                        received_.push_back(current);
                        arrived_.notify_all();
                    } else {
                        current.data += line + "\n";
                    }
                } else if (line.starts_with("EHLO")) {
                    say("250-sink\r\n250 8BITMIME\r\n");
                } else if (line.starts_with("MAIL FROM:")) {
                    current = {line.substr(10), "", ""};
                    say("250 ok\r\n");
                } else if (line.starts_with("RCPT TO:")) {
                    current.rcpt_to = line.substr(8);
                    say(refuse_rcpt_ ? "550 no such user\r\n" : "250 ok\r\n");
                } else if (line == "DATA") {
                    in_data = true;
                    say("354 go ahead\r\n");
                } else if (line == "QUIT") {
                    say("221 bye\r\n");
                    ::close(fd);
                    return;
                } else {
                    say("502 not implemented\r\n");
                }
            }
        }
        ::close(fd);
    }

    bool refuse_rcpt_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::vector<Received> received_;
    std::thread thread_;
};

}  // namespace mh::testing
