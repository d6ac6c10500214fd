#include "store/postgres/listener.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>

namespace mh::store::postgres {
namespace {

constexpr int kPollMs = 200;  // how soon Stop() is noticed
constexpr int kMaxPauseMs = 5000;

void IgnoreNotice(void*, const char*) {}

}  // namespace

struct Listener::Connection {
    explicit Connection(PGconn* c) : conn(c) {}
    ~Connection() { PQfinish(conn); }
    PGconn* conn;
};

Listener::Listener(std::string conninfo, std::vector<std::string> channels, Callback callback)
    : conninfo_(std::move(conninfo)), channels_(std::move(channels)), callback_(std::move(callback)) {}

Result<std::unique_ptr<Listener>> Listener::Start(std::string conninfo, std::vector<std::string> channels,
                                                  Callback callback) {
    std::unique_ptr<Listener> listener(new Listener(std::move(conninfo), std::move(channels), std::move(callback)));
    MH_ASSIGN_OR_RETURN(auto connection, listener->Connect());
    listener->thread_ =
        std::thread([raw = listener.get(), c = std::move(connection)]() mutable { raw->Run(std::move(c)); });
    return listener;
}

Listener::~Listener() {
    Stop();
}

void Listener::Stop() {
    stopping_.store(true);
    if (thread_.joinable()) thread_.join();
}

Result<std::unique_ptr<Listener::Connection>> Listener::Connect() {
    auto connection = std::make_unique<Connection>(PQconnectdb(conninfo_.c_str()));
    if (PQstatus(connection->conn) != CONNECTION_OK) {
        return MakeError(Errc::kUnavailable,
                         std::string("listening for notifications: ") + PQerrorMessage(connection->conn));
    }
    PQsetNoticeProcessor(connection->conn, &IgnoreNotice, nullptr);
    for (const std::string& channel : channels_) {
        // Channel names are the program's constants; quoted as identifiers all the same.
        char* quoted = PQescapeIdentifier(connection->conn, channel.c_str(), channel.size());
        PGresult* result = PQexec(connection->conn, ("LISTEN " + std::string(quoted)).c_str());
        PQfreemem(quoted);
        const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
        PQclear(result);
        if (!ok) {
            return MakeError(Errc::kUnavailable, "LISTEN " + channel + ": " + PQerrorMessage(connection->conn));
        }
    }
    return connection;
}

bool Listener::Pause(int attempt) {
    const int pause_ms = std::min(kMaxPauseMs, 100 << std::min(attempt, 6));
    for (int waited = 0; waited < pause_ms; waited += kPollMs) {
        if (stopping_.load()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
    }
    return !stopping_.load();
}

void Listener::Run(std::unique_ptr<Connection> connection) {
    int attempt = 0;
    while (!stopping_.load()) {
        if (!connection) {
            if (!Pause(attempt++)) return;
            auto again = Connect();
            if (!again) {
                spdlog::warn("{}", again.error().message);
                continue;
            }
            connection = std::move(*again);
            ++reconnects_;
            attempt = 0;
        }
        pollfd fd{PQsocket(connection->conn), POLLIN, 0};
        if (fd.fd < 0 || poll(&fd, 1, kPollMs) < 0 || PQconsumeInput(connection->conn) != 1) {
            spdlog::warn("the notification connection was lost ({}); opening it again",
                         PQerrorMessage(connection->conn));
            connection.reset();
            continue;
        }
        while (PGnotify* notify = PQnotifies(connection->conn)) {
            ++received_;
            try {
                callback_(notify->relname, notify->extra);
            } catch (const std::exception& e) {
                spdlog::error("a notification handler failed: {}", e.what());
            }
            PQfreemem(notify);
        }
    }
}

}  // namespace mh::store::postgres
