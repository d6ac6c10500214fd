// HttpServer: the HTTP/1.1 edge of meterhub. Accepts connections, parses requests with hard limits and
// timeouts, hands each Request to the Handler on a worker pool and writes the Response it replies with.
//
// Threads: the Runtime's IoContext does all socket work; every connection is served by a reader and a writer
// coroutine on its own strand. Handler::Handle() and BodyStream pulls run on the Runtime's worker pool, never on
// an I/O thread, so a Handler may block briefly (database work). A Reply may be called from any thread; the
// response goes back to the connection's strand and is written in request order (pipelining), chunked when
// Response::stream is set. Tools and tests may start a standalone server, with threads of its own.
//
// Ownership: the server keeps references to the Handler, the IoContext and the worker pool, which must outlive
// it. Stop() (or the destructor) returns only when no connection is left and no Handler call of this server is
// running or queued; a Reply called after that is dropped. The public methods are thread-safe; Stop() must not be
// called from a Handler, a Reply or an I/O thread.
//
// Limits, timeouts, error shapes, path rules and shutdown are described in docs/http_server.md.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/executor.hpp"
#include "core/result.hpp"
#include "net/http.hpp"
#include "net/io_context.hpp"

namespace mh::net {

struct ServerOptions {
    std::string address = "0.0.0.0";                   // IPv4 or IPv6 literal to listen on
    std::uint16_t port = 8080;                         // 0: pick a free port (see HttpServer::port())
    std::size_t threads = 0;         // standalone Start() only: I/O threads; 0: one per hardware core
    std::size_t worker_threads = 0;  // standalone Start() only: Handler threads; 0: one per hardware core
    std::size_t body_limit = 1024 * 1024;              // larger request bodies get 413
    std::size_t header_limit = 16 * 1024;              // larger request heads get 431
    std::chrono::milliseconds header_timeout{10'000};  // first byte to end of head (slowloris defence)
    std::chrono::milliseconds body_timeout{30'000};    // end of head to end of body
    std::chrono::milliseconds idle_timeout{60'000};    // keep-alive wait for the next request
    std::chrono::milliseconds write_timeout{30'000};   // each write of a response head, body or chunk
    std::size_t max_connections = 10'000;              // beyond this, new connections get 503
    std::size_t max_pipelined = 16;                    // requests read ahead on one connection

    // kInvalidArgument naming the first bad field.
    Status Validate() const;
};

// A snapshot of counters since Start(); all values are monotonic except open_connections.
struct ServerStats {
    // Upper bounds of the latency buckets, in microseconds; latency[i] counts responses at or below bound i
    // (and above bound i-1), the last entry those above every bound. Latency runs from the end of the request
    // to the end of the response write.
    static constexpr std::array<std::uint32_t, 16> kLatencyBoundsMicros = {
        100,    250,     500,     1'000,   2'500,     5'000,     10'000,    25'000,
        50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};

    std::uint64_t connections_accepted = 0;
    std::uint64_t connections_rejected = 0;  // over max_connections (answered 503 or closed)
    std::uint64_t open_connections = 0;
    std::uint64_t requests = 0;                         // responses written, error responses included
    std::array<std::uint64_t, 5> responses_by_class{};  // [0] 1xx (100 Continue), [1] 2xx, ... [4] 5xx
    std::uint64_t timeouts = 0;                         // header, body or write timeouts
    std::array<std::uint64_t, kLatencyBoundsMicros.size() + 1> latency{};
};

class HttpServer {
  public:
    // Binds and listens, serving on `io` with Handler calls on `workers`. kInvalidArgument for bad options or
    // address, kUnavailable when the address cannot be bound (port in use, no permission).
    static Result<std::unique_ptr<HttpServer>> Start(ServerOptions options, Handler& handler, IoContext& io,
                                                     Executor& workers);
    // Standalone (tools, tests, benchmarks): with an IoContext of `options.threads` and a worker pool of
    // `options.worker_threads` of its own.
    static Result<std::unique_ptr<HttpServer>> Start(ServerOptions options, Handler& handler);

    ~HttpServer();  // Stop() with the default drain
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // The port actually bound (useful with ServerOptions::port = 0).
    std::uint16_t port() const;

    // Stops accepting, lets requests in flight finish and their responses be written (up to `drain`), closes
    // idle connections at once, then closes the rest and joins every thread. Idempotent.
    void Stop(std::chrono::milliseconds drain = std::chrono::seconds(10));

    std::size_t open_connections() const;
    ServerStats stats() const;

  private:
    struct Impl;
    explicit HttpServer(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
};

}  // namespace mh::net
