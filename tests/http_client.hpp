// A small blocking HTTP/1.1 client over POSIX sockets, for tests against the real server on loopback.
// Keeps one keep-alive connection; reads Content-Length and chunked bodies.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mh::testing {

struct HttpResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::string Header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

class HttpClient {
  public:
    explicit HttpClient(std::uint16_t port) : port_(port) {}
    ~HttpClient() { Close(); }
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    HttpResponse Request(const std::string& method, const std::string& target, const std::string& body = "",
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
        std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        bool has_type = false;
        for (const auto& [name, value] : headers) {
            request += name + ": " + value + "\r\n";
            std::string lower = name;
            std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
            if (lower == "content-type") has_type = true;
        }
        if (!body.empty() && !has_type) request += "Content-Type: application/json\r\n";
        if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
            request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
        }
        request += "\r\n" + body;
        SendRaw(request);
        return ReadResponse(method == "HEAD");
    }

    void SendRaw(const std::string& bytes) {
        if (fd_ < 0) Connect();
        std::size_t sent = 0;
        while (sent < bytes.size()) {
            const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) throw std::runtime_error("send failed");
            sent += static_cast<std::size_t>(n);
        }
    }

    HttpResponse ReadResponse(bool head = false) {
        HttpResponse response;
        std::string line = ReadLine();
        if (line.size() < 12) throw std::runtime_error("bad status line: " + line);
        response.status = std::stoi(line.substr(9, 3));
        for (;;) {
            line = ReadLine();
            if (line.empty()) break;
            const auto colon = line.find(':');
            std::string name = line.substr(0, colon);
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            response.headers[name] = value;
        }
        if (head) return response;
        if (response.Header("transfer-encoding") == "chunked") {
            for (;;) {
                const std::size_t size = std::stoul(ReadLine(), nullptr, 16);
                if (size == 0) {
                    ReadLine();
                    break;
                }
                response.body += ReadBytes(size);
                ReadLine();
            }
        } else if (!response.Header("content-length").empty()) {
            response.body = ReadBytes(std::stoul(response.Header("content-length")));
        }
        if (response.Header("connection") == "close") Close();
        return response;
    }

    // True when the server has closed the connection (reads EOF within the socket timeout).
    bool ServerClosed() {
        if (fd_ < 0) return true;
        char c;
        const ssize_t n = ::recv(fd_, &c, 1, 0);
        if (n == 0) {
            Close();
            return true;
        }
        return false;
    }

    // How a wait for the server to close the connection ended.
    enum class CloseSeen {
        kEof,       // the server closed it (FIN)
        kReset,     // the server reset it (RST), e.g. closing with unread bytes
        kTimedOut,  // the deadline passed with the connection still open: the server did not close it
    };

    // Reads (into `received`, if given) whatever the server sends until it closes the connection or `deadline`
    // passes. A server's close is told apart from our own give-up, unlike ServerClosed().
    CloseSeen AwaitClose(std::chrono::steady_clock::time_point deadline, std::string* received = nullptr) {
        if (fd_ < 0) return CloseSeen::kEof;
        for (;;) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return CloseSeen::kTimedOut;
            pollfd pfd{fd_, POLLIN, 0};
            const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR) continue;
            if (ready <= 0) return CloseSeen::kTimedOut;
            char chunk[4096];
            const ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
            if (n > 0) {
                if (received != nullptr) received->append(chunk, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
            const CloseSeen seen = n == 0 ? CloseSeen::kEof : CloseSeen::kReset;
            Close();
            return seen;
        }
    }

    // Sends without throwing; false when the connection is gone (the peer closed or reset it).
    bool TrySendRaw(const std::string& bytes) {
        try {
            SendRaw(bytes);
            return true;
        } catch (const std::runtime_error&) {
            return false;
        }
    }

    void Close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        buffer_.clear();
    }

  private:
    void Connect() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port_);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            Close();
            throw std::runtime_error("connect failed");
        }
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        timeval timeout{10, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    }

  public:
    // Raw bytes up to and including `marker` (e.g. the end of a server-sent event), waiting at most `timeout`.
    std::string ReadUntil(const std::string& marker, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto at = buffer_.find(marker);
            if (at != std::string::npos) {
                std::string out = buffer_.substr(0, at + marker.size());
                buffer_.erase(0, at + marker.size());
                return out;
            }
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            pollfd pfd{fd_, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
                throw std::runtime_error("nothing like '" + marker + "' arrived in time");
            }
            Fill();
        }
    }

  private:
    void Fill() {
        char chunk[16384];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) throw std::runtime_error("connection closed by server");
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }

    std::string ReadLine() {
        for (;;) {
            const auto at = buffer_.find("\r\n");
            if (at != std::string::npos) {
                std::string line = buffer_.substr(0, at);
                buffer_.erase(0, at + 2);
                return line;
            }
            Fill();
        }
    }

    std::string ReadBytes(std::size_t n) {
        while (buffer_.size() < n) Fill();
        std::string out = buffer_.substr(0, n);
        buffer_.erase(0, n);
        return out;
    }

    std::uint16_t port_;
    int fd_ = -1;
    std::string buffer_;
};

}  // namespace mh::testing
