// A real HAProxy in front of meterhub instances, for the scale-out tests: HTTP on one free loopback port (each
// request balanced round-robin over the instances that pass their /readyz check, the serving instance named in an
// X-Served-By header) and the Solarman collector's TCP on another. Runs in the foreground as our child and dies
// with the test process.
#pragma once

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "http_client.hpp"
#include "mosquitto.hpp"  // FreeLoopbackPort
#include "process.hpp"
#include "test_support.hpp"

namespace mh::testing {

inline constexpr const char* kHaproxyBinary = "/usr/sbin/haproxy";

struct Backend {
    std::string name;
    std::uint16_t http_port = 0;
    std::uint16_t solarman_port = 0;
};

class HaproxyProcess {
  public:
    explicit HaproxyProcess(const std::vector<Backend>& backends)
        : http_port_(FreeLoopbackPort()), solarman_port_(FreeLoopbackPort()) {
        const std::string config = dir_.File("haproxy.cfg");
        std::ofstream out(config);
        // Checks every 200 ms, down after two failures: a killed instance leaves the rotation within half a
        // second; a request it was serving is retried on another (redispatch) only when it was never sent.
        out << "global\n  maxconn 2000\n"
            << "defaults\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n  retries 3\n"
            << "  option redispatch\n"
            << "frontend http\n  mode http\n  bind 127.0.0.1:" << http_port_ << "\n  default_backend instances\n"
            << "backend instances\n  mode http\n  balance roundrobin\n  option httpchk GET /readyz\n"
            << "  http-response set-header X-Served-By %s\n";
        for (const auto& b : backends) {
            out << "  server " << b.name << " 127.0.0.1:" << b.http_port << " check inter 200ms fall 2 rise 1\n";
        }
        out << "frontend solarman\n  mode tcp\n  bind 127.0.0.1:" << solarman_port_
            << "\n  default_backend loggers\nbackend loggers\n  mode tcp\n  balance roundrobin\n";
        for (const auto& b : backends) {
            out << "  server " << b.name << " 127.0.0.1:" << b.solarman_port << " check inter 200ms fall 2 rise 1\n";
        }
        out.close();
        process_ = std::make_unique<Background>(std::vector<std::string>{"-db", "-f", config}, kHaproxyBinary);
        // Ready when it answers for an instance.
        ready_ = WaitFor([&] {
            try {
                return HttpClient(http_port_).Request("GET", "/readyz").status == 200;
            } catch (const std::exception&) {
                return false;
            }
        });
    }

    bool ready() const { return ready_; }
    std::uint16_t http_port() const { return http_port_; }
    std::uint16_t solarman_port() const { return solarman_port_; }

  private:
    TempDir dir_;
    std::uint16_t http_port_;
    std::uint16_t solarman_port_;
    std::unique_ptr<Background> process_;
    bool ready_ = false;
};

}  // namespace mh::testing
