// Internal to mh_net: the state the listener and every session share, and the registry Stop() walks.
//
// Member order in ServerCore is load-bearing: a session may be destroyed while the io_context is being torn
// down (its coroutine frames die with it), and its destructor touches the registry and the counters, so those
// are declared, and therefore outlive, the io_context. The worker pool is destroyed before the io_context
// because work abandoned in the pool may hold sessions.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/http.hpp"
#include "net/http_server.hpp"

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
// the gate is open; Stop() closes it once no I/O thread runs, before the io_context is destroyed.
struct ReplyGate {
    std::shared_mutex mutex;
    bool open = true;
};

struct ServerCore {
    ServerCore(ServerOptions resolved_options, Handler& app_handler)
        : options(std::move(resolved_options)), handler(app_handler), pool(options.worker_threads) {}

    const ServerOptions options;  // with threads and worker_threads resolved
    Handler& handler;
    StatsCounters stats;
    SessionRegistry registry;
    std::shared_ptr<ReplyGate> gate = std::make_shared<ReplyGate>();
    boost::asio::io_context ioc{static_cast<int>(options.threads)};
    boost::asio::thread_pool pool;
};

}  // namespace mh::net::detail
