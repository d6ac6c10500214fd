// One connection: a reader coroutine parses requests and hands them to the worker pool, a writer coroutine
// writes the replies in request order; both run on the connection's strand and share the state below without
// locks. A watchdog timer enforces the read and write deadlines (header, body, idle, write, linger).
//
// Life of a request: the reader appends a Slot to `pending_` and posts Handler::Handle() to the pool (or calls
// it at once when Handler::RunsInline() allows) with a Reply bound to the slot's sequence number; the Reply
// posts the Response back to the strand, which fills the slot; the writer waits until the front slot is
// filled, writes it and pops it. Errors the server answers
// itself (400, 408, 413, 431, 503) are slots that are filled from the start and end the connection.
//
// An AsyncBodyStream is served the same way piece by piece: the writer asks for a piece on the pool with a
// NextPiece bound to a fresh id, the NextPiece posts the piece back to the strand, and the writer waits on its
// wake-up signal, so that a close or Stop() ends the wait without the producer's help.
#include "net/session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "net/http_message.hpp"
#include "net/session_await.hpp"
#include "net/target.hpp"

namespace mh::net::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr Clock::time_point kNever = Clock::time_point::max();
constexpr std::size_t kFirstReadSize = 4 * 1024;  // enough for a typical request head
constexpr std::size_t kLingerReadSize = 16 * 1024;
constexpr std::size_t kKeepBufferBytes = 64 * 1024;  // larger per-connection buffers are released when idle
constexpr std::size_t kKeepChunkBytes = 1024 * 1024;
// After an error response that ends the connection, what the client still sends is read and dropped for this
// long before closing: closing with unread data makes the kernel send a reset, which can destroy the error
// response before the client has read it.
constexpr std::chrono::milliseconds kLingerTime{2000};
constexpr std::chrono::milliseconds kRejectLingerTime{500};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

class Session;

// What a Reply holds: where the response goes. Replies may outlive the session and the server; the gate and
// the weak pointer make a late reply a no-op. If every copy of the Reply dies without being called, the client
// still gets an answer (500) instead of a connection stuck behind the missing response.
class ReplyState {
  public:
    ReplyState(std::shared_ptr<ReplyGate> gate, std::weak_ptr<Session> session, std::uint64_t sequence)
        : gate_(std::move(gate)), session_(std::move(session)), sequence_(sequence) {}
    ~ReplyState();
    ReplyState(const ReplyState&) = delete;
    ReplyState& operator=(const ReplyState&) = delete;

    // False when a response was already delivered.
    bool Deliver(Response response);

  private:
    std::shared_ptr<ReplyGate> gate_;
    std::weak_ptr<Session> session_;
    const std::uint64_t sequence_;
    std::atomic<bool> replied_{false};
};

// What a NextPiece holds, like ReplyState: where the piece goes (a late call is a no-op). A NextPiece destroyed
// uncalled fails the stream rather than leave it waiting forever.
class PieceState {
  public:
    PieceState(std::shared_ptr<ReplyGate> gate, std::weak_ptr<Session> session, std::uint64_t id)
        : gate_(std::move(gate)), session_(std::move(session)), id_(id) {}
    ~PieceState() {
        try {
            Deliver(std::nullopt, false);
        } catch (...) {  // out of memory while posting: the connection stays until its client or Stop() ends it
        }
    }
    PieceState(const PieceState&) = delete;
    PieceState& operator=(const PieceState&) = delete;

    // `piece` nullopt: the stream failed. False when something was already delivered.
    bool Deliver(std::optional<std::string> piece, bool more);

  private:
    std::shared_ptr<ReplyGate> gate_;
    std::weak_ptr<Session> session_;
    const std::uint64_t id_;
    std::atomic<bool> delivered_{false};
};

// On the worker pool: hands the producer a NextPiece bound to `state`.
void CallStream(const AsyncBodyStream& stream, const std::shared_ptr<PieceState>& state) {
    NextPiece next = [state](std::string piece, bool more) {
        if (!state->Deliver(std::move(piece), more)) {
            spdlog::warn("http: a response stream delivered one piece twice; the second is ignored");
        }
    };
    try {
        stream(std::move(next));
    } catch (const std::exception& e) {
        spdlog::error("http: a response stream failed: {}", e.what());
        state->Deliver(std::nullopt, false);
    } catch (...) {
        spdlog::error("http: a response stream failed");
        state->Deliver(std::nullopt, false);
    }
}

void RunHandler(Handler& handler, Request request, const std::shared_ptr<ReplyState>& state) {
    Reply reply = [state](Response response) {
        if (!state->Deliver(std::move(response))) {
            spdlog::warn("http: a handler replied twice to one request; the second reply is ignored");
        }
    };
    try {
        handler.Handle(std::move(request), std::move(reply));
    } catch (const std::exception& e) {
        spdlog::error("http: the handler threw: {}", e.what());
        state->Deliver(ErrorResponse(500, "internal", "internal error"));
    } catch (...) {
        spdlog::error("http: the handler threw a non-standard exception");
        state->Deliver(ErrorResponse(500, "internal", "internal error"));
    }
}

class Session final : public SessionControl, public std::enable_shared_from_this<Session> {
  public:
    Session(std::shared_ptr<ServerCore> core, tcp::socket socket, bool reject)
        : core_(std::move(core)),
          options_(core_->options),
          socket_(std::move(socket)),
          strand_(socket_.get_executor()),
          reject_(reject),
          reader_wake_(strand_),
          writer_wake_(strand_),
          watchdog_(strand_) {}

    ~Session() override {
        if (reject_) {
            core_->stats.rejecting.fetch_sub(1, std::memory_order_relaxed);
        } else {
            core_->stats.open_connections.fetch_sub(1, std::memory_order_relaxed);
        }
        core_->registry.Remove(this);  // last: Stop() may be waiting for the registry to empty
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Called once, off the strand, before anyone else knows the session.
    void Start() {
        error_code ec;
        const auto endpoint = socket_.remote_endpoint(ec);
        if (!ec) remote_address_ = endpoint.address().to_string();
        socket_.set_option(tcp::no_delay(true), ec);  // small responses leave at once rather than wait for Nagle
        // From here on Stop() may reach the session from another thread: only the strand touches its state.
        const bool stopping = !core_->registry.Add(this, weak_from_this());
        auto self = shared_from_this();
        asio::co_spawn(strand_, ReadLoop(self, stopping), asio::bind_executor(strand_, LogFailure("reader")));
        asio::co_spawn(strand_, WriteLoop(self), asio::bind_executor(strand_, LogFailure("writer")));
    }

    void BeginShutdown() override {
        asio::post(strand_, [self = shared_from_this()] { self->OnBeginShutdown(); });
    }
    void Abort() override {
        asio::post(strand_, [self = shared_from_this()] { self->Close(); });
    }

    // Any thread: hands a response to the strand.
    void PostReply(std::uint64_t sequence, Response response) {
        asio::post(strand_, [self = shared_from_this(), sequence, response = std::move(response)]() mutable {
            self->OnReply(sequence, std::move(response));
        });
    }

    // Any thread: hands a piece of an AsyncBodyStream (nullopt: its failure) to the strand.
    void PostPiece(std::uint64_t id, std::optional<std::string> piece, bool more) {
        asio::post(strand_, [self = shared_from_this(), id, piece = std::move(piece), more]() mutable {
            self->OnPiece(id, std::move(piece), more);
        });
    }

  private:
    enum class ReadPhase { kIdle, kHead, kBody, kWaitingForRoom, kDone };
    enum class WriteOutcome { kKeepAlive, kClose, kFailed };

    struct Slot {
        bool interim_continue = false;  // a "100 Continue" to write ahead of the request's response
        bool ready = false;
        bool head_request = false;
        bool keep_alive = false;
        unsigned version = 11;
        Clock::time_point started{};
        Response response;
    };

    // The piece of an AsyncBodyStream the writer waits for.
    struct AwaitedPiece {
        std::uint64_t id = 0;  // 0: none awaited
        bool arrived = false;
        bool failed = false;
        bool more = false;
        std::string data;
    };

    // The completion of a coroutine: logs what escaped it and closes the connection.
    std::function<void(std::exception_ptr)> LogFailure(const char* which) {
        return [self = shared_from_this(), which](std::exception_ptr error) {
            if (!error) return;
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                spdlog::error("http: the {} of the connection from {} failed: {}", which, self->remote_address_,
                              e.what());
            } catch (...) {
                spdlog::error("http: the {} of the connection from {} failed", which, self->remote_address_);
            }
            self->Close();
        };
    }

    // ---- reader ----

    // The `self` parameters keep the session alive for as long as its coroutines run. (g++ 12 miscompiles
    // co_await inside an if or while condition, hence the locals before each test below.)
    asio::awaitable<void> ReadLoop([[maybe_unused]] std::shared_ptr<Session> self, bool stopping) {
        closing_ = closing_ || stopping;
        if (reject_) {
            EnqueueError(503, "unavailable", "the server is at its connection limit; retry later");
        } else {
            for (;;) {
                const bool more = co_await ReadRequest();
                if (!more) break;
            }
        }
        phase_ = ReadPhase::kDone;
        reader_done_ = true;
        read_deadline_ = kNever;
        writer_wake_.Notify();
    }

    // Reads and dispatches one request; false when no further request will be read on this connection.
    asio::awaitable<bool> ReadRequest() {
        while (pending_.size() >= options_.max_pipelined && !closing_ && !closed_) {
            phase_ = ReadPhase::kWaitingForRoom;
            co_await reader_wake_.Wait();
        }
        if (closing_ || closed_) co_return false;

        if (buffer_.size() == 0) {
            if (buffer_.capacity() > kKeepBufferBytes) buffer_.shrink_to_fit();
            phase_ = ReadPhase::kIdle;
            UpdateIdleDeadline();
            auto [ec, n] =
                co_await socket_.async_read_some(buffer_.prepare(kFirstReadSize), asio::as_tuple(asio::use_awaitable));
            if (ec) co_return false;  // the client left, or the idle watchdog or Stop() closed the connection
            buffer_.commit(n);
        }

        phase_ = ReadPhase::kHead;
        SetReadDeadline(Clock::now() + options_.header_timeout);
        auto& parser = parser_.emplace();
        parser.header_limit(static_cast<std::uint32_t>(options_.header_limit));
        parser.body_limit(static_cast<std::uint64_t>(options_.body_limit));
        const auto [head_ec, head_n] =
            co_await http::async_read_header(socket_, buffer_, parser, asio::as_tuple(asio::use_awaitable));
        if (head_ec) {
            OnReadError(head_ec);
            co_return false;
        }
        if (!parser.is_done()) {
            const auto& head = parser.get();
            if (head.version() >= 11 && beast::iequals(head[http::field::expect], "100-continue")) EnqueueContinue();
            phase_ = ReadPhase::kBody;
            SetReadDeadline(Clock::now() + options_.body_timeout);
            const auto [body_ec, body_n] =
                co_await http::async_read(socket_, buffer_, parser, asio::as_tuple(asio::use_awaitable));
            if (body_ec) {
                OnReadError(body_ec);
                co_return false;
            }
        }
        SetReadDeadline(kNever);
        co_return Dispatch(parser.release());
    }

    void OnReadError(const error_code& ec) {
        if (timed_out_) {
            EnqueueError(408, "request_timeout", "the request was not received in time");
        } else if (ec == http::error::header_limit) {
            EnqueueError(431, "headers_too_large",
                         "the request head is larger than " + std::to_string(options_.header_limit) + " bytes");
        } else if (ec == http::error::body_limit) {
            EnqueueError(413, "payload_too_large",
                         "the request body is larger than " + std::to_string(options_.body_limit) + " bytes");
        } else if (ec.category() == HttpErrorCategory() && ec != http::error::partial_message &&
                   ec != http::error::end_of_stream) {
            EnqueueError(400, "bad_request", "malformed request: " + ec.message());
        }
        // Anything else means the connection is gone (reset, closed, cancelled): there is nobody to answer.
    }

    // Turns a parsed message into a Request for the worker pool. False when the connection must not read on.
    bool Dispatch(http::request<http::string_body>&& message) {
        auto target = ParseTarget(message.target());
        if (!target) {
            EnqueueError(400, "bad_request", target.error().message);
            return false;
        }
        Request request;
        request.method = ToMethod(message.method());
        request.target.assign(message.target().data(), message.target().size());
        request.path = std::move(target->path);
        request.query = std::move(target->query);
        for (const auto& field : message) {
            request.headers.emplace_back(ToLower(field.name_string()),
                                         std::string(field.value().data(), field.value().size()));
        }
        request.body = std::move(message.body());
        request.remote_address = remote_address_;

        Slot& slot = pending_.emplace_back();
        slot.head_request = message.method() == http::verb::head;
        slot.keep_alive = message.keep_alive();
        slot.version = std::min(message.version(), 11U);
        slot.started = Clock::now();
        auto state = std::make_shared<ReplyState>(core_->gate, weak_from_this(), base_seq_ + pending_.size() - 1);
        if (core_->handler.RunsInline(request)) {
            RunHandler(core_->handler, std::move(request), state);
        } else {
            // Too late when the server is stopping: the request is dropped, as its connection is.
            core_->Post([&handler = core_->handler, request = std::move(request), state](bool run) mutable {
                if (run) RunHandler(handler, std::move(request), state);
            });
        }
        return slot.keep_alive;
    }

    void EnqueueError(int status, std::string_view code, std::string_view message) {
        Slot& slot = pending_.emplace_back();
        slot.ready = true;
        slot.started = Clock::now();
        slot.response = ErrorResponse(status, code, message);
        if (pending_.size() == 1) writer_wake_.Notify();
    }

    void EnqueueContinue() {
        Slot& slot = pending_.emplace_back();
        slot.interim_continue = true;
        slot.ready = true;
        if (pending_.size() == 1) writer_wake_.Notify();
    }

    void OnReply(std::uint64_t sequence, Response response) {
        if (closed_ || sequence < base_seq_ || sequence - base_seq_ >= pending_.size()) return;
        Slot& slot = pending_[sequence - base_seq_];
        if (slot.ready) return;
        slot.response = std::move(response);
        slot.ready = true;
        if (sequence == base_seq_) writer_wake_.Notify();
    }

    void OnPiece(std::uint64_t id, std::optional<std::string> piece, bool more) {
        if (id != piece_.id || piece_.arrived) return;  // from a stream that has ended
        if (!piece) spdlog::warn("http: a response stream failed or dropped its NextPiece uncalled; closing");
        piece_.arrived = true;
        piece_.failed = !piece;
        piece_.more = more;
        if (piece) piece_.data = std::move(*piece);
        writer_wake_.Notify();
    }

    // ---- writer ----

    asio::awaitable<void> WriteLoop([[maybe_unused]] std::shared_ptr<Session> self) {
        bool graceful = false;
        for (;;) {
            while (!closed_ && (pending_.empty() ? !reader_done_ : !pending_.front().ready)) {
                co_await writer_wake_.Wait();
            }
            if (closed_ || pending_.empty()) break;
            Slot& slot = pending_.front();  // stays valid: the reader only appends, nobody else pops
            if (slot.interim_continue) {
                const bool written = co_await WriteContinue();
                if (!written) break;
            } else {
                const WriteOutcome outcome = co_await WriteResponse(slot);
                if (outcome != WriteOutcome::kKeepAlive) {
                    graceful = outcome == WriteOutcome::kClose;
                    break;
                }
            }
            pending_.pop_front();
            ++base_seq_;
            reader_wake_.Notify();
            UpdateIdleDeadline();
        }
        co_await Finish(graceful);
    }

    // Whether the response at the front is the last this connection will carry.
    bool IsLastResponse() const {
        if (pending_.size() != 1) return false;
        if (reader_done_) return true;
        return closing_ && phase_ != ReadPhase::kHead && phase_ != ReadPhase::kBody;
    }

    asio::awaitable<bool> WriteContinue() {
        core_->stats.RecordInterim();
        const auto [ec, n] = co_await Write(asio::buffer(kContinue.data(), kContinue.size()));
        co_return !ec;
    }

    template <class Buffers>
    asio::awaitable<std::tuple<error_code, std::size_t>> Write(Buffers buffers) {
        BeginWrite();
        auto result = co_await asio::async_write(socket_, buffers, asio::as_tuple(asio::use_awaitable));
        EndWrite();
        co_return result;
    }

    void BeginWrite() {
        writing_ = true;
        SetWriteDeadline(Clock::now() + options_.write_timeout);
    }
    void EndWrite() {
        writing_ = false;
        write_deadline_ = kNever;
    }

    asio::awaitable<WriteOutcome> WriteResponse(Slot& slot) {
        Response& response = slot.response;
        if (response.status < 200 || response.status > 599) {
            spdlog::error("http: the handler replied with status {}; sending 500 instead", response.status);
            response = ErrorResponse(500, "internal", "internal error");
        }
        if (response.async_stream) {
            const WriteOutcome outcome = co_await WriteAsyncStreamed(slot);
            co_return outcome;
        }
        if (response.stream) {
            const WriteOutcome outcome = co_await WriteStreamed(slot);
            co_return outcome;
        }

        const int status = response.status;
        http::response<http::string_body> message;
        const bool close_requested = FillHeaders(message, response.headers);
        const bool keep_alive = slot.keep_alive && !close_requested && !IsLastResponse();
        message.result(static_cast<unsigned>(status));
        message.version(slot.version);
        if (HasBody(status)) message.content_length(response.body.size());  // for HEAD too: the GET's length
        if (HasBody(status) && !slot.head_request) message.body() = std::move(response.body);
        message.keep_alive(keep_alive);

        BeginWrite();
        const auto [ec, n] = co_await http::async_write(socket_, message, asio::as_tuple(asio::use_awaitable));
        EndWrite();
        if (ec) co_return WriteOutcome::kFailed;
        core_->stats.RecordResponse(status, Clock::now() - slot.started);
        co_return keep_alive ? WriteOutcome::kKeepAlive : WriteOutcome::kClose;
    }

    // The head of a streamed response: chunked transfer encoding (HTTP/1.1) or a close-delimited body (HTTP/1.0).
    // Whether the connection stays open after the body; nullopt when the write failed.
    asio::awaitable<std::optional<bool>> WriteStreamHead(const Slot& slot) {
        const int status = slot.response.status;
        const bool chunked = slot.version >= 11;
        http::response<http::empty_body> message;
        const bool close_requested = FillHeaders(message, slot.response.headers);
        bool keep_alive = slot.keep_alive && !close_requested && !IsLastResponse();
        if (HasBody(status) && !slot.head_request && !chunked) keep_alive = false;  // the close ends the body
        message.result(static_cast<unsigned>(status));
        message.version(slot.version);
        if (chunked && HasBody(status)) message.chunked(true);
        message.keep_alive(keep_alive);

        http::response_serializer<http::empty_body> serializer(message);
        BeginWrite();
        const auto [ec, n] =
            co_await http::async_write_header(socket_, serializer, asio::as_tuple(asio::use_awaitable));
        EndWrite();
        if (ec) co_return std::nullopt;
        co_return keep_alive;
    }

    // One piece of a streamed body; false when the write failed. An empty piece is skipped: as a chunk it would
    // end the body.
    asio::awaitable<bool> WriteBodyPiece(const std::string& piece, bool chunked) {
        if (piece.empty()) co_return true;
        error_code ec;
        if (chunked) {
            std::tie(ec, std::ignore) = co_await Write(http::make_chunk(asio::buffer(piece)));
        } else {
            std::tie(ec, std::ignore) = co_await Write(asio::buffer(piece));
        }
        co_return !ec;
    }

    // The end of a streamed body that went well: the last chunk (HTTP/1.1), then the counters.
    asio::awaitable<WriteOutcome> EndStreamed(const Slot& slot, bool send_body, bool keep_alive) {
        if (send_body && slot.version >= 11) {
            const auto [ec, n] = co_await Write(http::make_chunk_last());
            if (ec) co_return WriteOutcome::kFailed;
        }
        core_->stats.RecordResponse(slot.response.status, Clock::now() - slot.started);
        co_return keep_alive ? WriteOutcome::kKeepAlive : WriteOutcome::kClose;
    }

    // A BodyStream. Each piece is pulled on the worker pool and written before the next is pulled, so a slow
    // client slows the producer down.
    asio::awaitable<WriteOutcome> WriteStreamed(Slot& slot) {
        Response& response = slot.response;
        const bool send_body = HasBody(response.status) && !slot.head_request;
        const std::optional<bool> keep_alive = co_await WriteStreamHead(slot);
        if (!keep_alive) co_return WriteOutcome::kFailed;

        for (bool more = send_body; more;) {
            chunk_.clear();
            const auto [error, has_more] =
                co_await AsyncPull(*core_, response.stream, chunk_, asio::as_tuple(asio::use_awaitable));
            if (error) {
                // The head is out; an incomplete body (no last chunk, then a close) is all that is left to say.
                try {
                    std::rethrow_exception(error);
                } catch (const std::exception& e) {
                    spdlog::error("http: a response stream failed: {}", e.what());
                } catch (...) {
                    spdlog::error("http: a response stream failed");
                }
                co_return WriteOutcome::kFailed;
            }
            more = has_more;
            if (closed_) co_return WriteOutcome::kFailed;
            const bool written = co_await WriteBodyPiece(chunk_, slot.version >= 11);
            if (!written) co_return WriteOutcome::kFailed;
        }
        response.stream = nullptr;  // release the producer (a database cursor, say) now
        if (chunk_.capacity() > kKeepChunkBytes) std::string().swap(chunk_);
        const WriteOutcome outcome = co_await EndStreamed(slot, send_body, *keep_alive);
        co_return outcome;
    }

    // An AsyncBodyStream: like WriteStreamed, but each piece is awaited for as long as it takes. Meanwhile the
    // connection is neither idle (its slot is pending) nor writing, so no deadline runs. When Stop() begins, the
    // body ends at the next piece boundary: an endless stream would otherwise hold the drain to its end.
    asio::awaitable<WriteOutcome> WriteAsyncStreamed(Slot& slot) {
        // Shared with the pool task that calls it, so that releasing it here cannot race with that call.
        auto stream = std::make_shared<AsyncBodyStream>(std::move(slot.response.async_stream));
        slot.response.async_stream = nullptr;
        slot.response.stream = nullptr;
        const bool send_body = HasBody(slot.response.status) && !slot.head_request;
        const std::optional<bool> keep_alive = co_await WriteStreamHead(slot);
        if (!keep_alive) co_return WriteOutcome::kFailed;

        for (bool more = send_body; more && !closing_;) {
            std::optional<AwaitedPiece> piece = co_await AwaitPiece(stream);
            if (closed_ || (piece && piece->failed)) co_return WriteOutcome::kFailed;
            if (!piece) break;  // Stop() began
            more = piece->more;
            const bool written = co_await WriteBodyPiece(piece->data, slot.version >= 11);
            if (!written) co_return WriteOutcome::kFailed;
        }
        stream.reset();  // release the producer now
        const WriteOutcome outcome = co_await EndStreamed(slot, send_body, *keep_alive && !closing_);
        co_return outcome;
    }

    // Asks the producer for the next piece (on the worker pool) and waits until it arrives; nullopt when the
    // connection closed or Stop() began first.
    asio::awaitable<std::optional<AwaitedPiece>> AwaitPiece(const std::shared_ptr<AsyncBodyStream>& stream) {
        piece_ = AwaitedPiece{.id = ++piece_ids_};
        auto state = std::make_shared<PieceState>(core_->gate, weak_from_this(), piece_.id);
        core_->Post([stream, state = std::move(state)](bool run) {
            if (run) CallStream(*stream, state);  // else the state, destroyed, fails the piece
        });
        while (!piece_.arrived && !closed_ && !closing_) co_await writer_wake_.Wait();
        std::optional<AwaitedPiece> piece;
        if (piece_.arrived) piece = std::move(piece_);
        piece_ = AwaitedPiece{};
        co_return piece;
    }

    // Ends the connection. After a response that announced the close, half-closes first and, if the reader has
    // stopped, drains what the client still sends (see kLingerTime).
    asio::awaitable<void> Finish(bool graceful) {
        if (graceful && !closed_) {
            error_code ec;
            socket_.shutdown(tcp::socket::shutdown_send, ec);
            if (!ec && reader_done_) {
                lingering_ = true;
                SetReadDeadline(Clock::now() + (reject_ ? kRejectLingerTime : kLingerTime));
                for (;;) {
                    const auto [read_ec, n] = co_await socket_.async_read_some(buffer_.prepare(kLingerReadSize),
                                                                               asio::as_tuple(asio::use_awaitable));
                    if (read_ec) break;
                }
            }
        }
        Close();
    }

    void Close() {
        if (closed_) return;
        closed_ = true;
        error_code ec;
        socket_.close(ec);
        read_deadline_ = kNever;
        write_deadline_ = kNever;
        ++watchdog_generation_;
        watchdog_.cancel();
        reader_wake_.Notify();
        writer_wake_.Notify();
    }

    void OnBeginShutdown() {
        if (closing_) return;
        closing_ = true;
        if (phase_ == ReadPhase::kIdle && pending_.empty() && !writing_) {
            Close();  // an idle keep-alive connection: nothing to finish
            return;
        }
        reader_wake_.Notify();  // a reader waiting for room stops reading
        writer_wake_.Notify();  // a writer waiting for a piece of an AsyncBodyStream ends it
    }

    // ---- deadlines ----

    // The idle deadline runs only while the connection waits for the client with nothing in flight: a client
    // waiting for a slow response is not idle.
    void UpdateIdleDeadline() {
        if (phase_ != ReadPhase::kIdle || closed_) return;
        if (!pending_.empty()) {
            read_deadline_ = kNever;
        } else if (closing_) {
            Close();
        } else {
            SetReadDeadline(Clock::now() + options_.idle_timeout);
        }
    }

    void SetReadDeadline(Clock::time_point deadline) {
        read_deadline_ = deadline;
        timed_out_ = false;
        ArmWatchdog();
    }
    void SetWriteDeadline(Clock::time_point deadline) {
        write_deadline_ = deadline;
        ArmWatchdog();
    }

    // One timer serves both deadlines. It is re-armed only when a deadline moves earlier than its expiry; when it
    // fires early (a deadline moved later meanwhile) it re-arms itself, which keeps per-request timer work low.
    void ArmWatchdog() {
        if (closed_) return;
        const Clock::time_point next = std::min(read_deadline_, write_deadline_);
        if (next == kNever || (watchdog_armed_ && watchdog_expiry_ <= next)) return;
        watchdog_armed_ = true;
        watchdog_expiry_ = next;
        const std::uint64_t generation = ++watchdog_generation_;
        watchdog_.expires_at(next);
        watchdog_.async_wait([self = shared_from_this(), generation](const error_code& ec) {
            if (generation != self->watchdog_generation_) return;  // re-armed or closed since
            self->watchdog_armed_ = false;
            if (!ec) self->OnWatchdog();
        });
    }

    void OnWatchdog() {
        const Clock::time_point now = Clock::now();
        if (write_deadline_ <= now) {
            core_->stats.timeouts.fetch_add(1, std::memory_order_relaxed);
            Close();
        } else if (read_deadline_ <= now) {
            OnReadDeadline();
        } else {
            ArmWatchdog();
        }
    }

    void OnReadDeadline() {
        if (lingering_ || phase_ == ReadPhase::kIdle) {
            Close();  // idle keep-alive connection, or done lingering
            return;
        }
        core_->stats.timeouts.fetch_add(1, std::memory_order_relaxed);
        if (pending_.empty() && !writing_) {
            // Nothing else to write: stop the read, answer 408, then close. cancel() would also stop a write,
            // hence the condition.
            read_deadline_ = kNever;
            timed_out_ = true;
            error_code ec;
            socket_.cancel(ec);
        } else {
            Close();
        }
    }

    const std::shared_ptr<ServerCore> core_;
    const ServerOptions& options_;
    tcp::socket socket_;
    asio::any_io_executor strand_;
    const bool reject_;
    std::string remote_address_;

    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::deque<Slot> pending_;
    std::uint64_t base_seq_ = 0;  // sequence number of pending_.front()
    std::string chunk_;           // the current piece of a streamed body, reused
    AwaitedPiece piece_;
    std::uint64_t piece_ids_ = 0;
    Signal reader_wake_;
    Signal writer_wake_;

    asio::steady_timer watchdog_;
    std::uint64_t watchdog_generation_ = 0;
    Clock::time_point watchdog_expiry_ = kNever;
    bool watchdog_armed_ = false;
    Clock::time_point read_deadline_ = kNever;
    Clock::time_point write_deadline_ = kNever;

    ReadPhase phase_ = ReadPhase::kIdle;
    bool reader_done_ = false;
    bool writing_ = false;
    bool lingering_ = false;
    bool closing_ = false;  // Stop() asked to finish up
    bool closed_ = false;
    bool timed_out_ = false;  // the watchdog cancelled a head or body read
};

ReplyState::~ReplyState() {
    if (replied_.load(std::memory_order_acquire)) return;
    {
        std::shared_lock lock(gate_->mutex);
        if (!gate_->open) return;  // a handler call Stop() dropped unrun: there is nobody left to answer
    }
    spdlog::error("http: a handler dropped its reply without calling it; sending 500");
    Deliver(ErrorResponse(500, "internal", "internal error"));
}

bool PieceState::Deliver(std::optional<std::string> piece, bool more) {
    if (delivered_.exchange(true, std::memory_order_acq_rel)) return false;
    std::shared_lock lock(gate_->mutex);
    if (!gate_->open) return true;
    if (auto session = session_.lock()) session->PostPiece(id_, std::move(piece), more);
    return true;
}

bool ReplyState::Deliver(Response response) {
    if (replied_.exchange(true, std::memory_order_acq_rel)) return false;
    std::shared_lock lock(gate_->mutex);
    if (!gate_->open) return true;
    if (auto session = session_.lock()) session->PostReply(sequence_, std::move(response));
    return true;
}

}  // namespace

void StartSession(const std::shared_ptr<ServerCore>& core, tcp::socket socket, bool reject) {
    std::shared_ptr<Session> session;
    try {
        session = std::make_shared<Session>(core, std::move(socket), reject);
    } catch (const std::exception& e) {
        // The count the listener took is normally released by the session's destructor.
        (reject ? core->stats.rejecting : core->stats.open_connections).fetch_sub(1, std::memory_order_relaxed);
        spdlog::error("http: cannot start a connection: {}", e.what());
        return;
    }
    session->Start();
}

}  // namespace mh::net::detail
