// StreamServer: listener, connections (reader coroutine, idle watchdog, write queue) and shutdown.
#include "net/stream_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "core/thread_executor.hpp"
#include "net/io_context_asio.hpp"
#include "net/listen.hpp"

namespace mh::net {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using Strand = asio::strand<asio::io_context::executor_type>;

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr auto kStopGrace = std::chrono::seconds(5);
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

// Links may outlive the server (a protocol's pending commit holds one); they post only while the gate is open.
struct Gate {
    std::shared_mutex mutex;
    bool open = true;
};

class Connection;

// What the listener and every connection share. Connections hold it by shared_ptr: the io_context is the
// Runtime's and outlives the server, so a connection that lingers (a protocol's pending commit holds its link)
// still finds it.
struct Shared {
    Shared(StreamOptions o, StreamHandler& h, asio::io_context& io) : options(std::move(o)), handler(h), ioc(io) {}

    const StreamOptions options;
    StreamHandler& handler;
    std::atomic<std::uint64_t> accepted{0}, rejected{0}, open{0}, idle_timeouts{0}, bytes_read{0};
    std::shared_ptr<Gate> gate = std::make_shared<Gate>();

    std::mutex mutex;
    std::condition_variable emptied;
    std::unordered_map<Connection*, std::weak_ptr<Connection>> live;
    bool stopping = false;

    asio::io_context& ioc;  // the Runtime's
};

class Connection final : public StreamLink, public std::enable_shared_from_this<Connection> {
  public:
    Connection(std::shared_ptr<Shared> shared, Strand strand, tcp::socket socket, std::string remote)
        : owner_(std::move(shared)),
          shared_(*owner_),
          gate_(shared_.gate),
          strand_(std::move(strand)),
          socket_(std::move(socket)),
          idle_timer_(std::in_place, strand_),
          hold_timer_(std::in_place, strand_),
          remote_(std::move(remote)) {}

    void Begin(std::unique_ptr<StreamProtocol> protocol) {
        protocol_ = std::move(protocol);
        error_code ec;
        socket_->non_blocking(true, ec);
        deadline_ = SteadyClock::now() + shared_.options.idle_timeout;
        asio::co_spawn(strand_, Read(), asio::detached);
        asio::co_spawn(strand_, Watch(), asio::detached);
    }

    void Write(std::vector<std::uint8_t> bytes) override {
        OnStrand([this, bytes = std::move(bytes)]() mutable {
            if (closing_ || close_requested_) return;
            pending_bytes_ += bytes.size();
            if (pending_bytes_ > shared_.options.max_pending_write) return CloseNow("peer does not read its replies");
            queue_.push_back(std::move(bytes));
            if (!writing_) WriteNext();
        });
    }

    void Close() override {
        OnStrand([this] {
            close_requested_ = true;
            if (!writing_) CloseNow("closed by the protocol");
        });
    }

    void Hold() override { held_ = true; }

    void Release() override {
        OnStrand([this] {
            held_ = false;
            if (hold_timer_) hold_timer_->cancel();
        });
    }

    void Post(std::function<void()> work) override {
        std::shared_lock lock(gate_->mutex);
        if (!gate_->open) return;
        asio::post(strand_, [self = shared_from_this(), work = std::move(work)] {
            if (!self->closing_) work();
        });
    }

    const std::string& remote_address() const override { return remote_; }

    void Abort(std::string reason) {
        OnStrand([this, reason = std::move(reason)] { CloseNow(reason); });
    }

  private:
    template <class F>
    void OnStrand(F&& f) {
        std::shared_lock lock(gate_->mutex);
        if (!gate_->open) return;
        asio::dispatch(strand_, [self = shared_from_this(), f = std::forward<F>(f)]() mutable { f(); });
    }

    asio::awaitable<void> Read() {
        auto self = shared_from_this();
        thread_local std::array<std::uint8_t, kReadChunk> buffer;
        std::string reason = "peer closed";
        while (!closing_) {
            if (held_) {
                hold_timer_->expires_at(SteadyClock::time_point::max());
                co_await hold_timer_->async_wait(asio::as_tuple(asio::use_awaitable));  // cancelled by Release or close
                continue;
            }
            // Wait for bytes without a buffer of our own, then take what is there into the thread's buffer.
            auto [wait_ec] = co_await socket_->async_wait(tcp::socket::wait_read, asio::as_tuple(asio::use_awaitable));
            if (wait_ec || closing_) {
                if (wait_ec && wait_ec != asio::error::operation_aborted) reason = wait_ec.message();
                break;
            }
            if (held_) continue;  // held while we waited: the bytes stay in the socket until Release()
            error_code ec;
            const std::size_t n = socket_->read_some(asio::buffer(buffer), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
            if (ec) {
                if (ec != asio::error::eof) reason = ec.message();
                break;
            }
            shared_.bytes_read.fetch_add(n, std::memory_order_relaxed);
            deadline_ = SteadyClock::now() + shared_.options.idle_timeout;
            protocol_->OnRead(std::span<const std::uint8_t>(buffer.data(), n));
        }
        Finish(closing_ ? close_reason_ : reason);
    }

    // Closes the connection when nothing arrived for idle_timeout. One timer, re-armed to the latest deadline.
    asio::awaitable<void> Watch() {
        auto self = shared_from_this();
        while (!closing_) {
            idle_timer_->expires_at(deadline_);
            co_await idle_timer_->async_wait(asio::as_tuple(asio::use_awaitable));
            if (closing_) break;
            if (SteadyClock::now() >= deadline_) {
                shared_.idle_timeouts.fetch_add(1, std::memory_order_relaxed);
                CloseNow("idle timeout");
            }
        }
    }

    void WriteNext() {
        writing_ = true;
        asio::async_write(*socket_, asio::buffer(queue_.front()),
                          [self = shared_from_this()](error_code ec, std::size_t) { self->Written(ec); });
    }

    void Written(error_code ec) {
        writing_ = false;
        if (closing_) return;
        pending_bytes_ -= queue_.front().size();
        queue_.pop_front();
        if (ec) return CloseNow("write failed: " + ec.message());
        if (!queue_.empty()) return WriteNext();
        if (close_requested_) CloseNow("closed by the protocol");
    }

    void CloseNow(std::string reason) {
        if (closing_) return;
        closing_ = true;
        close_reason_ = std::move(reason);
        error_code ec;
        if (socket_) socket_->close(ec);
        if (idle_timer_) idle_timer_->cancel();
        if (hold_timer_) hold_timer_->cancel();
    }

    // The reader's last act: the protocol learns why, and the socket and timers go while the io_context lives.
    void Finish(const std::string& reason) {
        CloseNow(reason);
        if (protocol_) protocol_->OnClose(reason);
        protocol_.reset();
        queue_.clear();
        socket_.reset();
        idle_timer_.reset();
        hold_timer_.reset();
        shared_.open.fetch_sub(1, std::memory_order_relaxed);
        std::lock_guard lock(shared_.mutex);
        shared_.live.erase(this);
        if (shared_.live.empty()) shared_.emptied.notify_all();
    }

    const std::shared_ptr<Shared> owner_;
    Shared& shared_;
    std::shared_ptr<Gate> gate_;
    Strand strand_;
    std::optional<tcp::socket> socket_;
    std::optional<asio::steady_timer> idle_timer_;
    std::optional<asio::steady_timer> hold_timer_;
    std::string remote_;
    std::unique_ptr<StreamProtocol> protocol_;
    std::deque<std::vector<std::uint8_t>> queue_;
    std::size_t pending_bytes_ = 0;
    SteadyClock::time_point deadline_;
    std::string close_reason_;
    bool writing_ = false;
    bool held_ = false;
    bool closing_ = false;
    bool close_requested_ = false;
};

void Accepted(const std::shared_ptr<Shared>& owner, Strand strand, tcp::socket socket) {
    Shared& shared = *owner;
    shared.accepted.fetch_add(1, std::memory_order_relaxed);
    error_code ec;
    if (shared.open.load(std::memory_order_relaxed) >= shared.options.max_connections) {
        shared.rejected.fetch_add(1, std::memory_order_relaxed);
        socket.close(ec);
        return;
    }
    const auto endpoint = socket.remote_endpoint(ec);
    std::string remote = ec ? std::string("?") : endpoint.address().to_string();
    auto connection = std::make_shared<Connection>(owner, std::move(strand), std::move(socket), std::move(remote));
    {
        std::lock_guard lock(shared.mutex);
        if (shared.stopping) return;  // the socket closes with the connection
        shared.live.emplace(connection.get(), connection);
    }
    shared.open.fetch_add(1, std::memory_order_relaxed);
    connection->Begin(shared.handler.Open(connection));
}

asio::awaitable<void> Listen(std::shared_ptr<Shared> owner, tcp::acceptor& acceptor) {
    Shared& shared = *owner;
    asio::steady_timer backoff(acceptor.get_executor());
    while (acceptor.is_open()) {
        // Each connection gets its own strand: its reader, watchdog and writes never run concurrently.
        Strand strand = asio::make_strand(shared.ioc);
        auto [ec, socket] = co_await acceptor.async_accept(strand, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
            spdlog::warn("{}: accept failed: {}", shared.options.name, ec.message());  // e.g. out of descriptors
            backoff.expires_after(kAcceptBackoff);
            co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        try {
            Accepted(owner, std::move(strand), std::move(socket));
        } catch (const std::exception& e) {
            spdlog::error("{}: cannot serve an accepted connection: {}", shared.options.name, e.what());
        }
    }
}

}  // namespace

Status StreamOptions::Validate() const {
    const auto bad = [this](const std::string& message) {
        return MakeError(Errc::kInvalidArgument, name + ": " + message);
    };
    if (address.empty()) return bad("address must not be empty");
    if (threads == 0 || threads > 256) return bad("threads must be between 1 and 256");
    if (max_connections == 0) return bad("max_connections must be positive");
    if (idle_timeout.count() <= 0) return bad("idle_timeout must be positive");
    if (max_pending_write < 1024) return bad("max_pending_write must be at least 1024 bytes");
    return Ok();
}

struct StreamServer::Impl {
    std::unique_ptr<IoContext> own_io;  // standalone servers only; declared first, it outlives the rest
    IoContext* io = nullptr;
    std::shared_ptr<Shared> shared;
    std::optional<tcp::acceptor> acceptor;  // on its own strand
    std::promise<void> listener_done;
    std::uint16_t port = 0;
    std::mutex stop_mutex;
    bool stopped = false;
};

StreamServer::StreamServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StreamServer::~StreamServer() {
    Stop();
}

Result<std::unique_ptr<StreamServer>> StreamServer::Start(StreamOptions options, StreamHandler& handler) {
    MH_RETURN_IF_ERROR(options.Validate());
    auto io = std::make_unique<IoContext>(options.threads, options.name);
    MH_ASSIGN_OR_RETURN(auto server, Start(std::move(options), handler, *io));
    server->impl_->own_io = std::move(io);
    return server;
}

Result<std::unique_ptr<StreamServer>> StreamServer::Start(StreamOptions options, StreamHandler& handler,
                                                          IoContext& io) {
    MH_RETURN_IF_ERROR(options.Validate());
    MH_ASSIGN_OR_RETURN(const auto endpoint, detail::EndpointOf(options.name, options.address, options.port));
    auto impl = std::make_unique<Impl>();
    asio::io_context& ioc = AsioContextOf(io);
    impl->io = &io;
    impl->shared = std::make_shared<Shared>(std::move(options), handler, ioc);
    auto& acceptor = impl->acceptor.emplace(asio::make_strand(ioc));
    const std::string& name = impl->shared->options.name;
    MH_ASSIGN_OR_RETURN(impl->port, detail::OpenAndListen(name, acceptor, endpoint));
    asio::co_spawn(acceptor.get_executor(), Listen(impl->shared, acceptor),
                   [done = &impl->listener_done, name](std::exception_ptr error) {
                       if (error) spdlog::error("{}: the listener failed", name);
                       done->set_value();
                   });
    spdlog::info("{}: listening on {} port {}", name, endpoint.address().to_string(), impl->port);
    return std::unique_ptr<StreamServer>(new StreamServer(std::move(impl)));
}

std::uint16_t StreamServer::port() const {
    return impl_->port;
}

StreamStats StreamServer::stats() const {
    const Shared& s = *impl_->shared;
    return StreamStats{s.accepted.load(), s.rejected.load(), s.open.load(), s.idle_timeouts.load(),
                       s.bytes_read.load()};
}

void StreamServer::Stop() {
    std::lock_guard stop_lock(impl_->stop_mutex);
    if (impl_->stopped) return;  // first: the IoContext may be gone by the time the destructor calls again
    if (impl_->io->RunningInThisThread()) {
        spdlog::error("{}: Stop() called from an I/O thread, where it would wait for itself; ignored",
                      impl_->shared->options.name);
        return;
    }
    impl_->stopped = true;
    Shared& shared = *impl_->shared;

    asio::post(impl_->acceptor->get_executor(), [this] {
        error_code ec;
        impl_->acceptor->close(ec);
    });
    impl_->listener_done.get_future().wait();

    std::vector<std::shared_ptr<Connection>> live;
    {
        std::lock_guard lock(shared.mutex);
        shared.stopping = true;
        for (auto& [key, weak] : shared.live) {
            if (auto connection = weak.lock()) live.push_back(std::move(connection));
        }
    }
    for (auto& connection : live) connection->Abort("server stopping");
    live.clear();
    {
        std::unique_lock lock(shared.mutex);
        if (!shared.emptied.wait_for(lock, kStopGrace, [&] { return shared.live.empty(); })) {
            spdlog::warn("{}: {} connections did not close in time", shared.options.name, shared.live.size());
        }
    }
    std::unique_lock gate_lock(shared.gate->mutex);
    shared.gate->open = false;
    spdlog::info("{}: stopped", shared.options.name);
}

}  // namespace mh::net
