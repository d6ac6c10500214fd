// Listener: a PostgreSQL connection of its own that LISTENs on some channels and hands each notification to a
// callback, on a thread of its own (a notification may come at any time, so it needs a connection that waits on
// nothing else). A lost connection is opened again, after a pause that grows to 5 s; notifications sent while it
// was gone are lost (what listens must cope: a live dashboard misses a point, a cache lives out its TTL).
// Stop() (or the destructor) ends it within a poll interval.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.hpp"

namespace mh::store::postgres {

class Listener {
  public:
    using Callback = std::function<void(std::string_view channel, std::string_view payload)>;

    // Connects once before it returns, so a wrong URL is an error here, not a log line later.
    static Result<std::unique_ptr<Listener>> Start(std::string conninfo, std::vector<std::string> channels,
                                                   Callback callback);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    void Stop();
    // Notifications handed over so far, and reconnections (for tests and /metrics).
    std::int64_t received() const { return received_.load(); }
    std::int64_t reconnects() const { return reconnects_.load(); }

  private:
    struct Connection;
    Listener(std::string conninfo, std::vector<std::string> channels, Callback callback);
    Result<std::unique_ptr<Connection>> Connect();
    void Run(std::unique_ptr<Connection> connection);
    bool Pause(int attempt);  // false once stopping

    const std::string conninfo_;
    const std::vector<std::string> channels_;
    const Callback callback_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::int64_t> received_{0};
    std::atomic<std::int64_t> reconnects_{0};
    std::thread thread_;
};

}  // namespace mh::store::postgres
