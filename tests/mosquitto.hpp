// A real Mosquitto broker on a free loopback port, for tests; killed when destroyed. Restart() brings
// it back on the same port, to test reconnecting clients.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <csignal>
#include <fstream>
#include <memory>

#include "process.hpp"
#include "test_support.hpp"

namespace mh::testing {

inline constexpr const char* kMosquittoBinary = "/usr/sbin/mosquitto";

// A port nothing listens on right now (the kernel's pick for a socket bound to port 0).
inline std::uint16_t FreeLoopbackPort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
    close(fd);
    return ntohs(addr.sin_port);
}

class MosquittoProcess {
  public:
    // `extra_listeners`: more mosquitto.conf lines, each listener with its own settings (per_listener_settings is
    // on), e.g. one that requires a password or speaks TLS. They are open once port() accepts.
    explicit MosquittoProcess(const std::string& extra_listeners = "") : port_(FreeLoopbackPort()) {
        std::ofstream(dir_.File("mosquitto.conf")) << "per_listener_settings true\n"
                                                   << "persistence false\n"
                                                   << "log_dest stderr\n"
                                                   << "listener " << port_ << " 127.0.0.1\n"
                                                   << "allow_anonymous true\n"
                                                   << extra_listeners;
        Start();
    }

    void Start() {
        process_ = std::make_unique<Background>(std::vector<std::string>{"-c", dir_.File("mosquitto.conf")},
                                                kMosquittoBinary);
        // Ready once it accepts connections (its log is block-buffered on a pipe, so no "running" line to wait for).
        if (!WaitFor([this] { return Accepting(); })) {
            ADD_FAILURE() << "mosquitto did not start on port " << port_ << " (is the mosquitto package installed?)";
        }
    }
    // SIGKILL: a broker that vanishes is what the clients must survive, and Mosquitto can sit on a SIGTERM
    // that arrives while it is still starting up.
    void Stop() { process_->Stop(SIGKILL); }
    void Restart() {
        Stop();
        Start();
    }
    std::uint16_t port() const { return port_; }

  private:
    bool Accepting() const {
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(port_);
        const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        close(fd);
        return ok;
    }

    TempDir dir_;
    std::uint16_t port_;
    std::unique_ptr<Background> process_;
};

}  // namespace mh::testing
