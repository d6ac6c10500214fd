// HttpServer: options, start-up (bind, threads), the listener coroutine and the shutdown sequence. Connections
// are served in session.cpp.
#include "net/http_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "core/thread_executor.hpp"
#include "net/io_context_asio.hpp"
#include "net/listen.hpp"
#include "net/server_core.hpp"
#include "net/session.hpp"

namespace mh::net {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxThreads = 1024;
constexpr std::size_t kMaxHeaderLimit = 1024 * 1024;
constexpr std::size_t kMinHeaderLimit = 1024;
constexpr std::size_t kMaxPipelined = 1024;
// At most this many over-limit connections are answered 503 at a time; beyond that they are just closed, so a
// connection flood cannot turn the rejections themselves into the overload.
constexpr std::size_t kMaxRejecting = 128;
constexpr std::chrono::milliseconds kAbortGrace{1000};
constexpr std::chrono::milliseconds kAcceptBackoff{100};

std::size_t Cores() {
    const unsigned cores = std::thread::hardware_concurrency();
    return cores == 0 ? 1 : cores;
}

void LogException(std::exception_ptr error, const char* where) {
    if (!error) return;
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        spdlog::error("http: {} failed: {}", where, e.what());
    } catch (...) {
        spdlog::error("http: {} failed", where);
    }
}

void OnAccepted(const std::shared_ptr<detail::ServerCore>& shared_core, tcp::socket socket) {
    detail::ServerCore& core = *shared_core;
    core.stats.accepted.fetch_add(1, std::memory_order_relaxed);
    const std::size_t open = core.stats.open_connections.fetch_add(1, std::memory_order_relaxed) + 1;
    if (open <= core.options.max_connections) {
        detail::StartSession(shared_core, std::move(socket), /*reject=*/false);
        return;
    }
    core.stats.open_connections.fetch_sub(1, std::memory_order_relaxed);
    core.stats.rejected.fetch_add(1, std::memory_order_relaxed);
    if (core.stats.rejecting.fetch_add(1, std::memory_order_relaxed) >= kMaxRejecting) {
        core.stats.rejecting.fetch_sub(1, std::memory_order_relaxed);
        error_code ec;
        socket.close(ec);
        return;
    }
    detail::StartSession(shared_core, std::move(socket), /*reject=*/true);
}

asio::awaitable<void> Listen(std::shared_ptr<detail::ServerCore> shared_core, tcp::acceptor& acceptor) {
    detail::ServerCore& core = *shared_core;
    asio::steady_timer backoff(acceptor.get_executor());
    while (acceptor.is_open()) {
        // Each connection gets its own strand: its reader, writer and timers never run concurrently.
        auto [ec, socket] =
            co_await acceptor.async_accept(asio::make_strand(core.ioc), asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
            // Out of file descriptors fails every accept at once: pause rather than spin.
            spdlog::warn("http: accept failed: {}", ec.message());
            backoff.expires_after(kAcceptBackoff);
            co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        try {
            OnAccepted(shared_core, tcp::socket(std::move(socket)));
        } catch (const std::exception& e) {
            spdlog::error("http: cannot serve an accepted connection: {}", e.what());
        }
    }
}

}  // namespace

Status ServerOptions::Validate() const {
    const auto bad = [](const std::string& message) { return MakeError(Errc::kInvalidArgument, "http: " + message); };
    const auto positive = [](std::chrono::milliseconds value) { return value.count() > 0; };
    if (address.empty()) return bad("address must not be empty");
    if (threads > kMaxThreads) return bad(fmt::format("threads must be at most {}", kMaxThreads));
    if (worker_threads > kMaxThreads) return bad(fmt::format("worker_threads must be at most {}", kMaxThreads));
    if (body_limit == 0) return bad("body_limit must be positive");
    if (header_limit < kMinHeaderLimit || header_limit > kMaxHeaderLimit) {
        return bad(fmt::format("header_limit must be between {} and {}", kMinHeaderLimit, kMaxHeaderLimit));
    }
    if (!positive(header_timeout)) return bad("header_timeout must be positive");
    if (!positive(body_timeout)) return bad("body_timeout must be positive");
    if (!positive(idle_timeout)) return bad("idle_timeout must be positive");
    if (!positive(write_timeout)) return bad("write_timeout must be positive");
    if (max_connections == 0) return bad("max_connections must be positive");
    if (max_pipelined == 0 || max_pipelined > kMaxPipelined) {
        return bad(fmt::format("max_pipelined must be between 1 and {}", kMaxPipelined));
    }
    return Ok();
}

struct HttpServer::Impl {
    // Standalone servers own their io context and worker pool; declared first, they outlive the rest.
    std::unique_ptr<IoContext> own_io;
    std::unique_ptr<ThreadExecutor> own_workers;
    IoContext* io = nullptr;
    std::shared_ptr<detail::ServerCore> core;
    std::optional<tcp::acceptor> acceptor;  // on its own strand
    std::promise<void> listener_done;
    std::uint16_t port = 0;
    std::mutex stop_mutex;
    bool stopped = false;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
    Stop();
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(ServerOptions options, Handler& handler) {
    MH_RETURN_IF_ERROR(options.Validate());
    auto io = std::make_unique<IoContext>(options.threads == 0 ? Cores() : options.threads, "http");
    auto workers = std::make_unique<ThreadExecutor>(options.worker_threads == 0 ? Cores() : options.worker_threads,
                                                    "http workers");
    MH_ASSIGN_OR_RETURN(auto server, Start(std::move(options), handler, *io, *workers));
    server->impl_->own_io = std::move(io);
    server->impl_->own_workers = std::move(workers);
    return server;
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(ServerOptions options, Handler& handler, IoContext& io,
                                                      Executor& workers) {
    MH_RETURN_IF_ERROR(options.Validate());
    MH_ASSIGN_OR_RETURN(const auto endpoint, detail::EndpointOf("http", options.address, options.port));
    auto impl = std::make_unique<Impl>();
    asio::io_context& ioc = AsioContextOf(io);
    impl->io = &io;
    impl->core = std::make_shared<detail::ServerCore>(std::move(options), handler, ioc, workers);
    tcp::acceptor& acceptor = impl->acceptor.emplace(asio::make_strand(ioc));
    MH_ASSIGN_OR_RETURN(impl->port, detail::OpenAndListen("http", acceptor, endpoint));
    asio::co_spawn(acceptor.get_executor(), Listen(impl->core, acceptor),
                   [done = &impl->listener_done](std::exception_ptr error) {
                       LogException(error, "the listener");
                       done->set_value();
                   });
    spdlog::info("http: listening on {} port {} ({} I/O threads)", endpoint.address().to_string(), impl->port,
                 io.threads());
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::uint16_t HttpServer::port() const {
    return impl_->port;
}

std::size_t HttpServer::open_connections() const {
    return impl_->core->stats.open_connections.load(std::memory_order_relaxed);
}

ServerStats HttpServer::stats() const {
    return impl_->core->stats.Snapshot();
}

void HttpServer::Stop(std::chrono::milliseconds drain) {
    detail::ServerCore& core = *impl_->core;
    std::lock_guard stop_lock(impl_->stop_mutex);
    if (impl_->stopped) return;  // first: the IoContext may be gone by the time the destructor calls again
    if (impl_->io->RunningInThisThread()) {
        spdlog::error("http: Stop() called from an I/O thread, where it would wait for itself; ignored");
        return;
    }
    impl_->stopped = true;
    const Clock::time_point deadline = Clock::now() + drain;

    // 1. No new connections: the registry turns late arrivals away, the acceptor closes on its strand, and the
    //    listener coroutine, which uses it, ends.
    std::vector<std::shared_ptr<detail::SessionControl>> sessions = core.registry.BeginStop();
    asio::post(impl_->acceptor->get_executor(), [this] {
        error_code ec;
        impl_->acceptor->close(ec);
    });
    impl_->listener_done.get_future().wait();

    // 2. Idle connections close now; busy ones finish their requests, answer with "connection: close", then close.
    for (const auto& session : sessions) session->BeginShutdown();
    sessions.clear();  // holding them would keep them registered
    if (!core.registry.WaitUntilEmpty(deadline)) {
        sessions = core.registry.Live();
        spdlog::warn("http: {} connections still busy after the drain; closing them", sessions.size());
        for (const auto& session : sessions) session->Abort();
        sessions.clear();
        if (!core.registry.WaitUntilEmpty(Clock::now() + kAbortGrace)) {
            spdlog::warn("http: connections still open after the abort; they end on their own");
        }
    }

    // 3. Handler calls still queued on the worker pool are dropped; running ones finish (their replies find no
    //    connection).
    core.posted.CloseAndWait();

    // 4. From here on a Reply does not touch a connection.
    {
        std::unique_lock gate_lock(core.gate->mutex);
        core.gate->open = false;
    }
    spdlog::info("http: stopped");
}

}  // namespace mh::net
