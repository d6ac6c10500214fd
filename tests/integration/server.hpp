// A real `meterhub serve` on a free loopback port with a fresh database, for HTTP integration tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <regex>

#include "http_client.hpp"
#include "process.hpp"

namespace mh::testing {

class ServerProcess {
  public:
    // Creates a system administrator admin@example.org (password "admin password 1") first.
    explicit ServerProcess(std::vector<std::string> extra = {}) {
        db_ = dir_.File("m.db");
        auto admin = RunMeterhub({"--db", db_, "user", "add", "admin@example.org", "--admin"}, "admin password 1\n");
        EXPECT_EQ(admin.exit_code, 0) << admin.err;
        std::vector<std::string> args{"--db",         db_,   "--set", "http.port=0", "--set", "http.address=127.0.0.1",
                                      "--set", "solarman.port=0", "--set", "solarman.address=127.0.0.1"};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back("serve");
        process_ = std::make_unique<Background>(args);
        const std::regex listening("meterhub: http://localhost:([0-9]+)");
        const std::regex loggers("meterhub: solarman loggers on port ([0-9]+)");
        while (auto line = process_->ReadLine()) {
            std::smatch m;
            if (std::regex_search(*line, m, loggers)) solarman_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
            if (std::regex_search(*line, m, listening)) {
                port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
                break;
            }
        }
        EXPECT_NE(port_, 0) << "the server did not say where it listens";
    }

    std::uint16_t port() const { return port_; }
    std::uint16_t solarman_port() const { return solarman_port_; }
    const std::string& db() const { return db_; }
    int Stop(int signal) { return process_->Stop(signal); }

  private:
    TempDir dir_;
    std::string db_;
    std::unique_ptr<Background> process_;
    std::uint16_t port_ = 0;
    std::uint16_t solarman_port_ = 0;
};

}  // namespace mh::testing
