#include "sim/opendtu_pusher.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "net/mqtt_client.hpp"
#include "sim/opendtu_dtu.hpp"

namespace mh::sim {
namespace {

constexpr std::uint64_t kLoggedFailures = 5;

// One keep-alive HTTP/1.1 connection for POSTs, blocking, with a 10 s timeout; reconnects after an error.
class HttpPoster {
  public:
    HttpPoster(std::string host, std::uint16_t port) : host_(std::move(host)), port_(port) {}
    ~HttpPoster() { Close(); }

    // The response's status, or an error when no response came.
    Result<int> Post(const std::string& target, const std::string& body, const std::string& api_key) {
        if (fd_ < 0) MH_RETURN_IF_ERROR(Connect());
        const std::string request = "POST " + target + " HTTP/1.1\r\nHost: " + host_ +
                                    "\r\nContent-Type: application/json\r\nX-API-Key: " + api_key +
                                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        auto status = Exchange(request);
        if (!status) Close();
        return status;
    }

  private:
    Status Connect() {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* found = nullptr;
        if (getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &found) != 0 || !found) {
            return MakeError(Errc::kUnavailable, "cannot resolve " + host_);
        }
        fd_ = socket(found->ai_family, SOCK_STREAM, 0);
        const bool ok = fd_ >= 0 && connect(fd_, found->ai_addr, found->ai_addrlen) == 0;
        freeaddrinfo(found);
        if (!ok) {
            Close();
            return MakeError(Errc::kUnavailable, "cannot connect to " + host_ + ":" + std::to_string(port_));
        }
        timeval timeout{10, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        return Ok();
    }

    Result<int> Exchange(const std::string& request) {
        for (std::size_t sent = 0; sent < request.size();) {
            const ssize_t n = send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return MakeError(Errc::kUnavailable, "connection lost while sending");
            sent += static_cast<std::size_t>(n);
        }
        // Head, then a Content-Length body (meterhub's JSON answers have one).
        std::string data;
        std::size_t head_end = std::string::npos;
        while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
            if (!Read(data) || data.size() > 64 * 1024) return MakeError(Errc::kUnavailable, "no response");
        }
        const std::string head = data.substr(0, head_end);
        std::size_t length = 0;
        for (const char* name : {"Content-Length: ", "content-length: "}) {
            if (auto at = head.find(name); at != std::string::npos) length = std::stoul(head.substr(at + 16));
        }
        while (data.size() < head_end + 4 + length) {
            if (!Read(data)) return MakeError(Errc::kUnavailable, "response cut short");
        }
        if (head.size() < 12 || !head.starts_with("HTTP/1.1 ")) return MakeError(Errc::kUnavailable, "not HTTP");
        if (head.find("onnection: close") != std::string::npos) Close();
        return std::stoi(head.substr(9, 3));
    }

    bool Read(std::string& data) {
        char buffer[4096];
        const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
        if (n <= 0) return false;
        data.append(buffer, static_cast<std::size_t>(n));
        return true;
    }

    void Close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    std::string host_;
    std::uint16_t port_;
    int fd_ = -1;
};

void CountFailure(OpenDtuSimStats& stats, const std::string& what) {
    if (stats.failures.fetch_add(1) < kLoggedFailures) spdlog::warn("opendtu sim: {}", what);
}

}  // namespace

Status OpenDtuSimOptions::Validate() const {
    const auto bad = [](const std::string& what) { return MakeError(Errc::kInvalidArgument, "opendtu sim: " + what); };
    if (host.empty()) return bad("host is empty");
    if (port == 0) return bad("port must be 1..65535");
    if (!mqtt && api_key.empty()) return bad("an API key is needed to push over HTTP (--key)");
    if (dtus == 0 || dtus > 100'000) return bad("dtus must be 1..100000");
    if (inverters == 0 || inverters > 100) return bad("inverters must be 1..100 per DTU");
    if (interval < std::chrono::milliseconds::zero()) return bad("interval must not be negative");
    return Ok();
}

std::string InverterSerial(const OpenDtuSimOptions& options, std::size_t dtu, std::size_t inverter) {
    return std::to_string(options.first_serial + dtu * options.inverters + inverter);
}

Status RunOpenDtuSim(const OpenDtuSimOptions& options, const Clock& clock, OpenDtuSimStats& stats,
                     std::stop_token stop) {
    MH_RETURN_IF_ERROR(options.Validate());
    std::vector<SimulatedDtu> dtus;
    for (std::size_t d = 0; d < options.dtus; ++d) {
        std::vector<std::string> serials;
        for (std::size_t i = 0; i < options.inverters; ++i) serials.push_back(InverterSerial(options, d, i));
        dtus.emplace_back(std::to_string(199'980'000'000 + d), std::move(serials), options.seed + d);
    }
    InlineExecutor no_handlers;  // the simulator subscribes to nothing
    std::unique_ptr<net::MqttClient> mqtt;
    std::vector<std::unique_ptr<HttpPoster>> posters;
    if (options.mqtt) {
        net::MqttOptions o;
        o.host = options.host;
        o.port = options.port;
        o.client_id = "meterhub-sim-opendtu-" + std::to_string(options.seed);
        o.min_backoff = std::chrono::milliseconds(200);
        o.max_backoff = std::chrono::seconds(5);
        MH_ASSIGN_OR_RETURN(mqtt, net::MqttClient::Start(o, no_handlers));
    } else {
        for (std::size_t d = 0; d < options.dtus; ++d) posters.push_back(std::make_unique<HttpPoster>(options.host, options.port));
    }

    std::mutex mutex;
    std::condition_variable_any cv;
    if (mqtt) {  // the first round waits (up to 10 s) for the broker connection instead of failing at once
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        std::unique_lock lock(mutex);
        while (!mqtt->connected() && !stop.stop_requested() && std::chrono::steady_clock::now() < deadline) {
            cv.wait_for(lock, stop, std::chrono::milliseconds(20), [] { return false; });
        }
    }
    for (std::uint64_t round = 0; options.rounds == 0 || round < options.rounds; ++round) {
        if (stop.stop_requested()) break;
        const auto started = std::chrono::steady_clock::now();
        for (std::size_t d = 0; d < dtus.size() && !stop.stop_requested(); ++d) {
            const Timestamp now = clock.Now();
            if (mqtt) {
                bool ok = mqtt->connected();
                for (const auto& [topic, payload] : dtus[d].Topics(now, options.zone, options.base_topic)) {
                    ok = ok && mqtt->Publish(topic, payload).has_value();
                }
                if (ok) {
                    stats.pushes.fetch_add(1);
                } else {
                    CountFailure(stats, "publishing to the broker failed (not connected?)");
                }
                continue;
            }
            auto status = posters[d]->Post("/api/opendtu/measurements", dtus[d].PushBody(now, options.zone),
                                           options.api_key);
            if (status && *status == 201) {
                stats.pushes.fetch_add(1);
            } else {
                CountFailure(stats, status ? "DTU " + dtus[d].serial() + ": HTTP " + std::to_string(*status)
                                           : "DTU " + dtus[d].serial() + ": " + status.error().message);
            }
        }
        if (options.rounds != 0 && round + 1 == options.rounds) break;
        std::unique_lock lock(mutex);
        cv.wait_until(lock, stop, started + options.interval, [] { return false; });
    }
    if (mqtt) mqtt->Stop();
    return Ok();
}

}  // namespace mh::sim
