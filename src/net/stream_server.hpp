// StreamServer: a TCP edge for byte-stream protocols (Solarman V5 loggers; later others). It owns sockets,
// limits and timeouts; the protocol is a StreamProtocol object per connection that sees bytes and writes
// replies through its StreamLink. No Asio in this header.
//
// A connection costs little while idle: it waits for readability without a buffer of its own and reads into a
// per-thread buffer, so 10,000 quiet loggers hold no read buffers. One reader coroutine and one idle timer per
// connection, all on the connection's strand.
//
// Back-pressure: a protocol that has work in flight (a commit it must wait for before replying) calls Hold()
// from a strand callback (OnRead, Post); the connection then reads nothing more until Release(). Bytes already
// read stay with the protocol (its framer), so nothing is lost and a fast sender is slowed to the pace of the
// acknowledgements.
//
// Threads: OnRead and OnClose run on the connection's strand, never concurrently for one connection. StreamLink
// methods are thread-safe and may be called after the connection closed or the server stopped (they do
// nothing then).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "net/io_context.hpp"

namespace mh::net {

struct StreamOptions {
    std::string name = "stream";                      // for log lines: "solarman"
    std::string address = "0.0.0.0";                  // IPv4 or IPv6 literal
    std::uint16_t port = 0;                           // 0: pick a free port
    std::size_t threads = 1;                          // standalone Start() only: I/O threads
    std::size_t max_connections = 20'000;             // beyond this, new connections are closed at once
    std::chrono::milliseconds idle_timeout{300'000};  // nothing received for this long: close
    std::size_t max_pending_write = 64 * 1024;        // replies queued and unsent beyond this: close

    Status Validate() const;
};

struct StreamStats {
    std::uint64_t accepted = 0;
    std::uint64_t rejected = 0;  // over max_connections
    std::uint64_t open = 0;
    std::uint64_t idle_timeouts = 0;
    std::uint64_t bytes_read = 0;
};

// The protocol's handle on its connection.
class StreamLink {
  public:
    virtual ~StreamLink() = default;
    virtual void Write(std::vector<std::uint8_t> bytes) = 0;  // queued, written in call order
    virtual void Close() = 0;                                 // after the queued writes are flushed
    virtual void Hold() = 0;                                  // on the strand: read nothing more until Release
    virtual void Release() = 0;                               // resume reading
    virtual void Post(std::function<void()> work) = 0;        // run on the connection's strand, if still open
    virtual const std::string& remote_address() const = 0;
};

// One connection's protocol state.
class StreamProtocol {
  public:
    virtual ~StreamProtocol() = default;
    virtual void OnRead(std::span<const std::uint8_t> bytes) = 0;
    virtual void OnClose(std::string_view reason) = 0;  // once; "peer closed", "idle timeout", "server stopping", ...
};

class StreamHandler {
  public:
    virtual ~StreamHandler() = default;
    // A new connection; the link stays valid for the protocol's lifetime.
    virtual std::unique_ptr<StreamProtocol> Open(std::shared_ptr<StreamLink> link) = 0;
};

class StreamServer {
  public:
    // Binds and listens, serving on `io` (which must outlive the server). kInvalidArgument for bad options,
    // kUnavailable if it cannot bind.
    static Result<std::unique_ptr<StreamServer>> Start(StreamOptions options, StreamHandler& handler, IoContext& io);
    // Standalone (tools, tests): with an IoContext of `options.threads` of its own.
    static Result<std::unique_ptr<StreamServer>> Start(StreamOptions options, StreamHandler& handler);
    ~StreamServer();  // Stop()
    StreamServer(const StreamServer&) = delete;
    StreamServer& operator=(const StreamServer&) = delete;

    std::uint16_t port() const;
    StreamStats stats() const;
    // Stops accepting and closes every connection (protocols get OnClose). Idempotent; must not be called from a
    // protocol callback or an I/O thread.
    void Stop();

  private:
    struct Impl;
    explicit StreamServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace mh::net
