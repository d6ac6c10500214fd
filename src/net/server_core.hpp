// Internal to mh_net: the state the listener and every session share, and the registry Stop() walks.
//
// Sessions hold the ServerCore by shared_ptr: the io_context and the worker pool belong to the Runtime and outlive
// the server, so a session that is slow to go (or a handler posted to its strand just before Stop() closed the
// gate) still finds the registry and the counters it touches.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/work_group.hpp"
#include "net/http.hpp"
#include "net/http_server.hpp"

namespace boost::asio {
class io_context;
}

namespace mh::net::detail {

// What Stop() can ask of a live connection. Both are thread-safe (they post to the connection's strand).
class SessionControl {
  public:
    virtual ~SessionControl() = default;
    virtual void BeginShutdown() = 0;  // finish what is in flight, then close; close at once if idle
    virtual void Abort() = 0;          // close now, drop whatever is in flight
};

class SessionRegistry {
  public:
    // Returns false when the server is stopping: the session should close without reading.
    bool Add(SessionControl* key, std::weak_ptr<SessionControl> session);
    void Remove(SessionControl* key);
    // Marks the registry stopping and returns the sessions alive now.
    std::vector<std::shared_ptr<SessionControl>> BeginStop();
    std::vector<std::shared_ptr<SessionControl>> Live();
    // True when the registry emptied before `deadline`.
    bool WaitUntilEmpty(std::chrono::steady_clock::time_point deadline);

  private:
    std::vector<std::shared_ptr<SessionControl>> LiveLocked() const;

    std::mutex mutex_;
    std::condition_variable emptied_;
    std::unordered_map<SessionControl*, std::weak_ptr<SessionControl>> sessions_;
    bool stopping_ = false;
};

class StatsCounters {
  public:
    void RecordResponse(int status, std::chrono::steady_clock::duration latency) noexcept;
    void RecordInterim() noexcept;  // a "100 Continue"
    ServerStats Snapshot() const noexcept;

    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> rejected{0};
    std::atomic<std::uint64_t> timeouts{0};
    std::atomic<std::size_t> open_connections{0};  // sessions counted against max_connections
    std::atomic<std::size_t> rejecting{0};         // connections being answered 503

  private:
    std::atomic<std::uint64_t> requests_{0};
    std::array<std::atomic<std::uint64_t>, 5> by_class_{};
    std::array<std::atomic<std::uint64_t>, ServerStats::kLatencyBoundsMicros.size() + 1> latency_{};
};

// Replies may come from any thread at any time, even after Stop(). They post to a session's strand only while
// the gate is open; Stop() closes it once every session is gone.
struct ReplyGate {
    std::shared_mutex mutex;
    bool open = true;
};

struct ServerCore {
    ServerCore(ServerOptions server_options, Handler& app_handler, boost::asio::io_context& io, Executor& pool)
        : options(std::move(server_options)), handler(app_handler), ioc(io), posted(pool) {}

    // Handler calls and stream pulls go to the worker pool through `posted`: Stop() drops what is still queued
    // there and waits for what runs.
    void Post(std::function<void(bool run)> work) { posted.Post(std::move(work)); }

    const ServerOptions options;
    Handler& handler;
    boost::asio::io_context& ioc;  // the Runtime's
    StatsCounters stats;
    SessionRegistry registry;
    WorkGroup posted;  // on the Runtime's worker pool
    std::shared_ptr<ReplyGate> gate = std::make_shared<ReplyGate>();
};

}  // namespace mh::net::detail
