// A real PostgreSQL 15 for tests. Under CTest, the run's one server (tests/servers/postgres.sh, a fixture: the
// MH_TEST_POSTGRES_STATE file says its port); a binary run by hand starts its own on first use, on a free loopback
// port in a temp dir, and stops (`pg_ctl stop -m fast`) and removes it when it exits. Each test takes a new empty
// database from CreateDatabase() (named after the process, so binaries sharing the server never collide), so
// tests are independent.
//
// PostgreSQL refuses to run as root, and CI runs as root: then initdb, postgres and pg_ctl run as the `postgres`
// system user (Debian's postgresql package creates it) through runuser, and the temp dir is handed to it. An own
// server runs in the foreground as our child (not daemonised by `pg_ctl start`) with a parent-death signal, so it
// dies with the test process even when that crashes, like the brokers of process.hpp; SIGTERM because runuser
// passes that on to postgres. A missing PostgreSQL installation is a loud failure of every test that asks for a
// database, never a skip. Thread-safe (CreateDatabase may be called from several threads).
#pragma once

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "mosquitto.hpp"  // FreeLoopbackPort
#include "process.hpp"
#include "test_support.hpp"

namespace mh::testing {

inline constexpr const char* kPostgresBinDir = "/usr/lib/postgresql/15/bin";

class PostgresServer {
  public:
    // The binary's server, started on the first call; an error (no PostgreSQL installed, initdb failed) is
    // returned by every CreateDatabase().
    static PostgresServer& Instance() {
        static PostgresServer server;
        return server;
    }

    // A server of the caller's own, for a test that stops and starts it (the run's one must stay up).
    static std::unique_ptr<PostgresServer> Private() {
        std::unique_ptr<PostgresServer> server(new PostgresServer(Own{}));
        return server;
    }

    // Stops the server (fast: clients are cut off) and starts it again on the same port and data. Own servers only.
    bool Stop() {
        if (pid_ <= 0) return false;
        RunTool({std::string(kPostgresBinDir) + "/pg_ctl", "stop", "-D", data_, "-m", "fast", "-w"});
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
        return true;
    }
    bool Start() {
        if (pid_ > 0 || data_.empty()) return false;
        return Launch();
    }

    // A new, empty database owned by the superuser; returns its postgresql:// URL.
    Result<std::string> CreateDatabase() {
        if (!started_) return MakeError(Errc::kUnavailable, error_);
        const std::string name = "mh_test_" + std::to_string(getpid()) + "_" + std::to_string(next_database_++);
        PGconn* conn = PQconnectdb(Url("postgres").c_str());
        PGresult* result = PQexec(conn, ("CREATE DATABASE " + name).c_str());
        const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
        std::string message = PQerrorMessage(conn);
        PQclear(result);
        PQfinish(conn);
        if (!ok) return MakeError(Errc::kUnavailable, "CREATE DATABASE " + name + ": " + message);
        return Url(name);
    }

    std::string Url(const std::string& database) const {
        return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
    }
    std::uint16_t port() const { return port_; }

    ~PostgresServer() {
        if (pid_ <= 0) return;  // not ours, or not running
        RunTool({std::string(kPostgresBinDir) + "/pg_ctl", "stop", "-D", data_, "-m", "fast", "-w"});
        waitpid(pid_, nullptr, 0);
    }
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

  private:
    PostgresServer() {
        if (const char* state = std::getenv("MH_TEST_POSTGRES_STATE")) {
            UseShared(state);
        } else {
            StartOwn();
        }
    }

    struct Own {};
    explicit PostgresServer(Own) { StartOwn(); }

    // The run's server: its port from the state file postgres.sh wrote.
    void UseShared(const std::string& state) {
        std::ifstream in(state);
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("port=", 0) == 0) port_ = static_cast<std::uint16_t>(std::stoi(line.substr(5)));
        }
        if (port_ == 0) {
            error_ = "no PostgreSQL for this run: " + state + " says no port (did the postgres_start test fail?)";
            return;
        }
        started_ = PQping(Url("postgres").c_str()) == PQPING_OK;
        if (!started_) error_ = "the run's PostgreSQL on port " + std::to_string(port_) + " does not answer";
    }

    void StartOwn() {
        port_ = FreeLoopbackPort();
        data_ = dir_.File("data");
        const std::string initdb = std::string(kPostgresBinDir) + "/initdb";
        if (access(initdb.c_str(), X_OK) != 0) {
            error_ = "no PostgreSQL at " + std::string(kPostgresBinDir) + " (install postgresql: scripts/setup test)";
            return;
        }
        if (geteuid() == 0) {
            const passwd* user = getpwnam("postgres");
            if (user == nullptr) {
                error_ = "running as root, and there is no `postgres` user to run PostgreSQL as";
                return;
            }
            as_postgres_ = true;
            if (chown(dir_.path().c_str(), user->pw_uid, user->pw_gid) != 0) {
                error_ = "cannot hand " + dir_.path().string() + " to the postgres user";
                return;
            }
        }
        const int initialised = RunTool(
            {initdb, "-D", data_, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"});
        if (initialised != 0) {
            error_ = "initdb failed (exit " + std::to_string(initialised) + "): " + detail::Slurp(Log());
            return;
        }
        started_ = Launch();
    }

    // Runs postgres in the foreground on port_ and waits until it answers.
    bool Launch() {
        Spawn({std::string(kPostgresBinDir) + "/postgres", "-D", data_, "-p", std::to_string(port_), "-k",
               dir_.path().string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
               "max_connections=200"});
        // Ready when it answers; a server that exits (a port taken meanwhile, a bad setting) fails at once.
        const bool ready = WaitFor(
            [&] {
                if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
                    pid_ = -1;
                    return true;
                }
                return PQping(Url("postgres").c_str()) == PQPING_OK;
            },
            std::chrono::seconds(60));
        if (!ready || pid_ <= 0) {
            error_ = "PostgreSQL did not start on port " + std::to_string(port_) + ": " + detail::Slurp(Log());
            return false;
        }
        return true;
    }

    std::string Log() const { return dir_.File("postgres.log"); }

    // The command as the postgres user when we are root; output to the log.
    std::vector<std::string> Command(std::vector<std::string> args) const {
        if (as_postgres_) args.insert(args.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
        return args;
    }

    void ExecChild(std::vector<std::string> args) const {
        const int log = open(Log().c_str(), O_WRONLY | O_CREAT | O_APPEND, 0666);
        dup2(log, 1);
        dup2(log, 2);
        auto argv = detail::Argv(args);
        execv(argv[0], argv.data());
        _exit(127);
    }

    int RunTool(std::vector<std::string> args) const {
        args = Command(std::move(args));
        const pid_t pid = fork();
        if (pid == 0) ExecChild(std::move(args));
        int status = 0;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    void Spawn(std::vector<std::string> args) {
        args = Command(std::move(args));
        pid_ = fork();
        if (pid_ == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            ExecChild(std::move(args));
        }
    }

    TempDir dir_;
    std::uint16_t port_ = 0;
    std::string data_;
    bool as_postgres_ = false;
    bool started_ = false;
    std::string error_;
    pid_t pid_ = -1;
    std::atomic<int> next_database_{0};
};

}  // namespace mh::testing
