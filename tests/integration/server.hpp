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
    explicit ServerProcess(std::vector<std::string> extra = {}) : ServerProcess({}, true, std::move(extra)) {}

    // An instance on the PostgreSQL database at `url` (storage.url), with the secret every instance shares; the
    // first of several creates the admin.
    static std::unique_ptr<ServerProcess> OnPostgres(const std::string& url, bool create_admin,
                                                     std::vector<std::string> extra = {}) {
        return std::unique_ptr<ServerProcess>(
            new ServerProcess({"--set", "storage.url=" + url, "--set", "auth.jwt_secret=" + std::string(64, 's')},
                              create_admin, std::move(extra)));
    }

  private:
    // `store`: the options that say where the database is; none: a new SQLite file in a temp dir.
    ServerProcess(std::vector<std::string> store, bool create_admin, std::vector<std::string> extra) {
        if (store.empty()) {
            db_ = dir_.File("m.db");
            store = {"--db", db_};
        }
        if (create_admin) {
            std::vector<std::string> add = store;
            add.insert(add.end(), {"user", "add", "admin@example.org", "--admin"});
            auto admin = RunMeterhub(add, "admin password 1\n");
            EXPECT_EQ(admin.exit_code, 0) << admin.err;
        }
        std::vector<std::string> args = store;
        args.insert(args.end(), {"--set", "http.port=0", "--set", "http.address=127.0.0.1", "--set", "solarman.port=0",
                                 "--set", "solarman.address=127.0.0.1"});
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

  public:
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
