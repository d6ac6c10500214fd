// IoContext: the process's one Asio io_context and the threads that run it. The Runtime owns one; the HTTP
// server and the stream server put their sockets, strands and timers on it, so a process has one set of I/O
// threads however many listeners it runs.
//
// The threads start with the object and run until Stop() (or the destructor), which joins them; handlers still
// queued then are destroyed without running. Everything that uses the context must be stopped first (each server's
// Stop() waits for its own connections), so the owner declares the IoContext before them. An exception escaping a
// handler is logged and the thread goes on. Thread-safe. No Asio in this header: net code reaches the io_context
// through detail::AsioContext() (net/io_context_asio.hpp).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace mh::net {

class IoContext {
  public:
    // `threads` 0: one per hardware core. `name` shows in log lines.
    explicit IoContext(std::size_t threads = 0, std::string name = "io");
    ~IoContext();  // Stop()
    IoContext(const IoContext&) = delete;
    IoContext& operator=(const IoContext&) = delete;

    std::size_t threads() const;
    // True on one of this context's threads: where a blocking wait for the context's own work would deadlock.
    bool RunningInThisThread() const;
    // Stops the threads and joins them. Idempotent; must not be called from one of them.
    void Stop();

  private:
    friend boost::asio::io_context& AsioContextOf(IoContext& io);
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mh::net
