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

void OnAccepted(detail::ServerCore& core, tcp::socket socket) {
    core.stats.accepted.fetch_add(1, std::memory_order_relaxed);
    const std::size_t open = core.stats.open_connections.fetch_add(1, std::memory_order_relaxed) + 1;
    if (open <= core.options.max_connections) {
        detail::StartSession(core, std::move(socket), /*reject=*/false);
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
    detail::StartSession(core, std::move(socket), /*reject=*/true);
}

asio::awaitable<void> Listen(detail::ServerCore& core, tcp::acceptor& acceptor) {
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
            OnAccepted(core, tcp::socket(std::move(socket)));
        } catch (const std::exception& e) {
            spdlog::error("http: cannot serve an accepted connection: {}", e.what());
        }
    }
}

void RunIo(asio::io_context& ioc) {
    for (;;) {
        try {
            ioc.run();
            return;
        } catch (...) {
            // Coroutines catch their own exceptions; this is a last line so that one bad handler does not take
            // an I/O thread down with it.
            LogException(std::current_exception(), "an I/O thread");
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
    Impl(ServerOptions options, Handler& handler)
        : core(std::move(options), handler), acceptor(asio::make_strand(core.ioc)) {}

    detail::ServerCore core;
    tcp::acceptor acceptor;  // on its own strand; destroyed before the io_context in `core`
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::vector<std::thread> io_threads;
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
    if (options.threads == 0) options.threads = Cores();
    if (options.worker_threads == 0) options.worker_threads = Cores();

    MH_ASSIGN_OR_RETURN(const auto endpoint, detail::EndpointOf("http", options.address, options.port));
    auto impl = std::make_unique<Impl>(std::move(options), handler);
    tcp::acceptor& acceptor = impl->acceptor;
    MH_ASSIGN_OR_RETURN(impl->port, detail::OpenAndListen("http", acceptor, endpoint));

    detail::ServerCore& core = impl->core;
    impl->work.emplace(core.ioc.get_executor());
    asio::co_spawn(acceptor.get_executor(), Listen(core, acceptor),
                   [](std::exception_ptr error) { LogException(error, "the listener"); });
    impl->io_threads.reserve(core.options.threads);
    for (std::size_t i = 0; i < core.options.threads; ++i) {
        impl->io_threads.emplace_back([&core] { RunIo(core.ioc); });
    }
    spdlog::info("http: listening on {} port {} ({} I/O threads, {} workers)", endpoint.address().to_string(),
                 impl->port, core.options.threads, core.options.worker_threads);
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::uint16_t HttpServer::port() const {
    return impl_->port;
}

std::size_t HttpServer::open_connections() const {
    return impl_->core.stats.open_connections.load(std::memory_order_relaxed);
}

ServerStats HttpServer::stats() const {
    return impl_->core.stats.Snapshot();
}

void HttpServer::Stop(std::chrono::milliseconds drain) {
    detail::ServerCore& core = impl_->core;
    if (core.ioc.get_executor().running_in_this_thread() || core.pool.get_executor().running_in_this_thread()) {
        spdlog::error("http: Stop() called from a server thread, where it would wait for itself; ignored");
        return;
    }
    std::lock_guard stop_lock(impl_->stop_mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
    const Clock::time_point deadline = Clock::now() + drain;

    // 1. No new connections: the registry turns late arrivals away, the acceptor closes on its strand.
    std::vector<std::shared_ptr<detail::SessionControl>> sessions = core.registry.BeginStop();
    std::promise<void> acceptor_closed;
    asio::post(impl_->acceptor.get_executor(), [this, &acceptor_closed] {
        error_code ec;
        impl_->acceptor.close(ec);
        acceptor_closed.set_value();
    });
    acceptor_closed.get_future().wait();

    // 2. Idle connections close now; busy ones finish their requests, answer with "connection: close", then close.
    for (const auto& session : sessions) session->BeginShutdown();
    sessions.clear();  // holding them would keep them registered
    if (!core.registry.WaitUntilEmpty(deadline)) {
        sessions = core.registry.Live();
        spdlog::warn("http: {} connections still busy after the drain; closing them", sessions.size());
        for (const auto& session : sessions) session->Abort();
        sessions.clear();
        core.registry.WaitUntilEmpty(Clock::now() + kAbortGrace);
    }

    // 3. Handler calls still queued are dropped; running ones finish (their replies find no connection).
    core.pool.stop();
    core.pool.join();
    impl_->work.reset();
    core.ioc.stop();
    for (std::thread& thread : impl_->io_threads) thread.join();
    impl_->io_threads.clear();

    // 4. From here on a Reply must not touch the io_context, which dies with this object.
    {
        std::unique_lock gate_lock(core.gate->mutex);
        core.gate->open = false;
    }
    spdlog::info("http: stopped");
}

}  // namespace mh::net
