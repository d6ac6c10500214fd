// A small blocking HTTP/1.1 client over POSIX sockets for the server tests: it sends raw bytes (so tests can
// send anything, hostile input included) and parses responses strictly enough to check framing.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace mh::net::testing {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct TestResponse {
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
    std::string body;
    bool chunked = false;
    std::size_t chunks = 0;  // data chunks received, when chunked

    std::optional<std::string> Header(std::string_view name) const {
        for (const auto& [key, value] : headers) {
            if (key == name) return value;
        }
        return std::nullopt;
    }
};

class TestConnection {
  public:
    explicit TestConnection(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        int one = 1;
        if (connected_) ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ~TestConnection() {
        if (fd_ >= 0) ::close(fd_);
    }
    TestConnection(const TestConnection&) = delete;
    TestConnection& operator=(const TestConnection&) = delete;

    bool connected() const { return connected_; }

    // Sends everything; false on an error (the server closed the connection, say).
    bool Send(std::string_view data) {
        while (!data.empty()) {
            const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // Reads one response; nullopt on a timeout, a close before a complete response, or a malformed one.
    // `head_request`: the response has no body whatever its headers say.
    std::optional<TestResponse> ReadResponse(std::chrono::milliseconds timeout = 5s, bool head_request = false) {
        const Clock::time_point deadline = Clock::now() + timeout;
        std::size_t head_end;
        while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
            if (!Fill(deadline)) return std::nullopt;
        }
        TestResponse response;
        if (!ParseHead(std::string_view(buffer_).substr(0, head_end), response)) return std::nullopt;
        buffer_.erase(0, head_end + 4);

        const auto length = response.Header("content-length");
        const auto encoding = response.Header("transfer-encoding");
        const bool no_body =
            head_request || response.status / 100 == 1 || response.status == 204 || response.status == 304;
        if (no_body) return response;
        if (encoding && *encoding == "chunked") {
            response.chunked = true;
            if (!ReadChunked(deadline, response)) return std::nullopt;
        } else if (length) {
            const std::size_t size = std::stoul(*length);
            while (buffer_.size() < size) {
                if (!Fill(deadline)) return std::nullopt;
            }
            response.body = buffer_.substr(0, size);
            buffer_.erase(0, size);
        } else {
            while (Fill(deadline)) {
            }
            if (!closed_) return std::nullopt;
            response.body = std::move(buffer_);
            buffer_.clear();
        }
        return response;
    }

    // True when the server closes the connection (EOF or reset) before the timeout; data is discarded.
    bool WaitForClose(std::chrono::milliseconds timeout = 5s) {
        const Clock::time_point deadline = Clock::now() + timeout;
        while (Fill(deadline)) buffer_.clear();
        return closed_;
    }

    // Exactly `n` raw bytes (for byte-stream protocols); nullopt on a timeout or a close before they arrived.
    std::optional<std::string> ReadBytes(std::size_t n, std::chrono::milliseconds timeout = 5s) {
        const Clock::time_point deadline = Clock::now() + timeout;
        while (buffer_.size() < n) {
            if (!Fill(deadline)) return std::nullopt;
        }
        std::string out = buffer_.substr(0, n);
        buffer_.erase(0, n);
        return out;
    }

    // Bytes received and not yet consumed by ReadResponse.
    const std::string& pending() const { return buffer_; }
    bool closed() const { return closed_; }
    int fd() const { return fd_; }

  private:
    // Appends what arrives before the deadline; false on timeout or close.
    bool Fill(Clock::time_point deadline) {
        if (closed_) return false;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        pollfd poll_fd{fd_, POLLIN, 0};
        const int ready = ::poll(&poll_fd, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) return true;
        if (ready <= 0) return false;
        char chunk[64 * 1024];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) return true;
        if (n <= 0) {
            closed_ = true;
            return false;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    static bool ParseHead(std::string_view head, TestResponse& response) {
        const std::size_t line_end = head.find("\r\n");
        const std::string_view status_line = head.substr(0, line_end);
        if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1.") return false;
        response.status = std::stoi(std::string(status_line.substr(9, 3)));
        response.reason = std::string(status_line.size() > 13 ? status_line.substr(13) : "");
        std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
        while (!rest.empty()) {
            const std::size_t end = rest.find("\r\n");
            const std::string_view line = rest.substr(0, end);
            rest = end == std::string_view::npos ? "" : rest.substr(end + 2);
            const std::size_t colon = line.find(':');
            if (colon == std::string_view::npos) return false;
            std::string name(line.substr(0, colon));
            for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            std::string_view value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
            response.headers.emplace_back(std::move(name), std::string(value));
        }
        return true;
    }

    bool ReadChunked(Clock::time_point deadline, TestResponse& response) {
        for (;;) {
            std::size_t line_end;
            while ((line_end = buffer_.find("\r\n")) == std::string::npos) {
                if (!Fill(deadline)) return false;
            }
            const std::size_t size = std::stoul(buffer_.substr(0, line_end), nullptr, 16);
            buffer_.erase(0, line_end + 2);
            while (buffer_.size() < size + 2) {
                if (!Fill(deadline)) return false;
            }
            if (buffer_.compare(size, 2, "\r\n") != 0) return false;
            if (size == 0) {  // no trailers expected
                buffer_.erase(0, 2);
                return true;
            }
            response.body.append(buffer_, 0, size);
            ++response.chunks;
            buffer_.erase(0, size + 2);
        }
    }

    int fd_ = -1;
    bool connected_ = false;
    bool closed_ = false;
    std::string buffer_;
};

// Waits for `condition` with a deadline (polling briefly); true when it held in time.
template <class Condition>
bool WaitFor(Condition condition, std::chrono::milliseconds timeout = 5s) {
    const Clock::time_point deadline = Clock::now() + timeout;
    while (!condition()) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

inline std::string Get(std::string_view target, std::string_view extra_headers = "") {
    return "GET " + std::string(target) + " HTTP/1.1\r\nhost: test\r\n" + std::string(extra_headers) + "\r\n";
}

}  // namespace mh::net::testing
