// SolarmanLogger: the emulated logger (listener and one coroutine per connection on a single I/O thread) and how
// it answers a request. The register images it serves are built in sim/solarman_registers.cpp.
#include "sim/solarman_logger.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <exception>
#include <future>
#include <mutex>
#include <set>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "ingest/solarman/frame.hpp"
#include "ingest/solarman/framer.hpp"
#include "ingest/solarman/modbus.hpp"

namespace mh::sim {
namespace {

namespace asio = boost::asio;
namespace sm = ingest::solarman;
using boost::system::error_code;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kReadChunk = 2048;
constexpr std::size_t kRtuRequestSize = 8;  // slave, function, start, count, crc
constexpr std::uint8_t kFrameTypeInverter = 0x02;
constexpr std::uint8_t kStatusOk = 0x01;
constexpr std::uint8_t kStatusWrongSerial = 0x06;
constexpr std::uint8_t kStatusNoInverterAnswer = 0x05;
constexpr std::uint8_t kExceptionBit = 0x80;
constexpr std::uint8_t kIllegalFunction = 0x01;
constexpr std::uint8_t kIllegalDataValue = 0x03;

void LogException(std::exception_ptr error, const char* where) {
    if (!error) return;
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        spdlog::error("solarman logger sim: {} failed: {}", where, e.what());
    } catch (...) {
        spdlog::error("solarman logger sim: {} failed", where);
    }
}

void PutU32Le(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// The 14 bytes that open every reply payload: frame type, status, and the logger's three clocks (the values
// are arbitrary but non-zero, like a running logger's).
std::vector<std::uint8_t> ReplyHeader() {
    std::vector<std::uint8_t> payload{kFrameTypeInverter, kStatusOk};
    PutU32Le(payload, 18'000'000);  // total working time
    PutU32Le(payload, 3'600);       // power-on time
    PutU32Le(payload, 0);           // offset time
    return payload;
}

void AppendCrc(std::vector<std::uint8_t>& rtu, std::size_t from) {
    const std::uint16_t crc = sm::Crc16Modbus(std::span<const std::uint8_t>(rtu).subspan(from));
    rtu.push_back(static_cast<std::uint8_t>(crc));
    rtu.push_back(static_cast<std::uint8_t>(crc >> 8));
}

struct ModbusRead {
    std::uint8_t slave = 0;
    std::uint8_t function = 0;
    std::uint16_t start = 0;
    std::uint16_t count = 0;
};

// The Modbus read inside a 0x4510 request, or nothing for other requests (AT commands) and garbled RTU frames,
// which real loggers leave unanswered.
std::optional<ModbusRead> ParseRead(const sm::Frame& request) {
    if (request.payload.size() != sm::kRequestHeaderSize + kRtuRequestSize) return std::nullopt;
    const std::span<const std::uint8_t> rtu = std::span(request.payload).subspan(sm::kRequestHeaderSize);
    const std::uint16_t crc = sm::Crc16Modbus(rtu.first(6));
    if (rtu[6] != (crc & 0xFF) || rtu[7] != (crc >> 8)) return std::nullopt;
    return ModbusRead{rtu[0], rtu[1], static_cast<std::uint16_t>((rtu[2] << 8) | rtu[3]),
                      static_cast<std::uint16_t>((rtu[4] << 8) | rtu[5])};
}

// Builds the frames that answer one request, in wire order, by the logger's options and quirks.
class Answerer {
  public:
    Answerer(const LoggerOptions& options, const sm::Frame& request, std::uint8_t& counter)
        : options_(options), quirks_(options.quirks), request_(request), counter_(counter) {}

    std::vector<std::uint8_t> Answer(const ModbusRead& read) {
        const std::uint8_t seq = request_.server_sequence;
        const bool registers_ok = read.slave == options_.slave && IsRead(read) && !quirks_.exception_code;
        if (quirks_.stale_first && registers_ok) {
            // An answer to an earlier request, with values that must not be taken for this one's.
            Append(sm::ControlCode::kRequestReply, static_cast<std::uint8_t>(seq - 1), RegisterPayload(read, true));
        }
        if (quirks_.heartbeat_first) Append(sm::ControlCode::kHeartbeat, seq, {0x00});
        if (quirks_.interim_first) Append(sm::ControlCode::kRequestInterim, seq, ReplyHeader());
        Append(sm::ControlCode::kRequestReply, seq, FinalPayload(read));
        return std::move(out_);
    }

  private:
    static bool IsRead(const ModbusRead& read) {
        return (read.function == sm::kReadHoldingRegisters || read.function == sm::kReadInputRegisters) &&
               read.count >= 1 && read.count <= sm::kMaxReadCount;
    }

    std::vector<std::uint8_t> FinalPayload(const ModbusRead& read) const {
        if (request_.logger_serial != options_.logger_serial || quirks_.wrong_serial)
            return StatusPayload(kStatusWrongSerial);
        if (read.slave != options_.slave || quirks_.inverter_asleep) return StatusPayload(kStatusNoInverterAnswer);
        if (read.function != sm::kReadHoldingRegisters && read.function != sm::kReadInputRegisters) {
            return ExceptionPayload(read, kIllegalFunction);
        }
        if (read.count < 1 || read.count > sm::kMaxReadCount) return ExceptionPayload(read, kIllegalDataValue);
        if (quirks_.exception_code) return ExceptionPayload(read, *quirks_.exception_code);
        return RegisterPayload(read, false);
    }

    static std::vector<std::uint8_t> StatusPayload(std::uint8_t status) {
        std::vector<std::uint8_t> payload = ReplyHeader();
        payload.push_back(status);
        payload.push_back(0x00);
        return payload;
    }

    std::vector<std::uint8_t> ExceptionPayload(const ModbusRead& read, std::uint8_t code) const {
        std::vector<std::uint8_t> payload = ReplyHeader();
        const std::size_t rtu = payload.size();
        payload.insert(payload.end(), {read.slave, static_cast<std::uint8_t>(read.function | kExceptionBit), code});
        AppendCrc(payload, rtu);
        if (quirks_.double_crc) payload.insert(payload.end(), {0x00, 0x00});
        return payload;
    }

    std::vector<std::uint8_t> RegisterPayload(const ModbusRead& read, bool wrong_values) const {
        std::vector<std::uint8_t> payload = ReplyHeader();
        const std::size_t rtu = payload.size();
        payload.insert(payload.end(), {read.slave, read.function, static_cast<std::uint8_t>(read.count * 2)});
        for (std::uint32_t reg = read.start; reg < std::uint32_t{read.start} + read.count; ++reg) {
            const auto it = options_.registers.find(static_cast<std::uint16_t>(reg));
            std::uint16_t value = it == options_.registers.end() ? 0 : it->second;
            if (wrong_values) value = static_cast<std::uint16_t>(~value);
            payload.push_back(static_cast<std::uint8_t>(value >> 8));
            payload.push_back(static_cast<std::uint8_t>(value));
        }
        AppendCrc(payload, rtu);
        if (quirks_.double_crc) payload.insert(payload.end(), {0x00, 0x00});
        return payload;
    }

    void Append(sm::ControlCode control, std::uint8_t seq, std::vector<std::uint8_t> payload) {
        sm::Frame frame;
        frame.control = control;
        frame.server_sequence = seq;  // loggers echo the requester's byte 5, even in spontaneous heartbeats (V11)
        frame.logger_sequence = ++counter_;
        frame.logger_serial = options_.logger_serial;
        frame.payload = std::move(payload);
        const std::vector<std::uint8_t> bytes = sm::EncodeFrame(frame);
        out_.insert(out_.end(), bytes.begin(), bytes.end());
    }

    const LoggerOptions& options_;
    const LoggerQuirks& quirks_;
    const sm::Frame& request_;
    std::uint8_t& counter_;
    std::vector<std::uint8_t> out_;
};

}  // namespace

struct SolarmanLogger::Impl {
    explicit Impl(LoggerOptions o) : options(std::move(o)) {}

    // The bytes that answer `request` (empty: no answer), or nullopt to drop the connection.
    std::optional<std::vector<std::uint8_t>> Respond(const sm::Frame& request, int requests_here,
                                                     std::uint8_t& counter) {
        const std::optional<ModbusRead> read = ParseRead(request);
        std::lock_guard lock(mutex);
        if (options.quirks.drop_after > 0 && requests_here > options.quirks.drop_after) return std::nullopt;
        if (!read || options.quirks.silent) return std::vector<std::uint8_t>();
        return Answerer(options, request, counter).Answer(*read);
    }

    asio::awaitable<void> Serve(std::shared_ptr<tcp::socket> socket) {
        sm::Framer framer(sm::kMaxFrameSize + kReadChunk);
        std::array<std::uint8_t, kReadChunk> chunk{};
        std::uint8_t counter = 0;  // the logger's own sequence byte (byte 6)
        int requests_here = 0;
        bool open = true;
        while (open) {
            auto [ec, count] = co_await socket->async_read_some(asio::buffer(chunk), kTuple);
            if (ec) break;
            if (auto fed = framer.Feed(std::span<const std::uint8_t>(chunk.data(), count)); !fed) break;
            for (;;) {
                auto next = framer.Next();
                if (!next) {
                    open = false;  // garbage: hang up, as a logger's TCP stack would eventually
                    break;
                }
                if (!*next) break;
                auto frame = sm::DecodeFrame(**next);
                if (!frame || frame->control != sm::ControlCode::kRequest) continue;  // e.g. heartbeat acks
                requests.fetch_add(1, std::memory_order_relaxed);
                std::optional<std::vector<std::uint8_t>> answer = Respond(*frame, ++requests_here, counter);
                if (!answer) {
                    open = false;
                    break;
                }
                const bool written = co_await Write(*socket, *answer);
                if (!written) {
                    open = false;
                    break;
                }
            }
        }
        error_code ignored;
        socket->close(ignored);
        sessions.erase(socket);
        open_connections.fetch_sub(1, std::memory_order_relaxed);
    }

    asio::awaitable<bool> Write(tcp::socket& socket, const std::vector<std::uint8_t>& bytes) {
        bool trickle = false;
        {
            std::lock_guard lock(mutex);
            trickle = options.quirks.trickle;
        }
        if (!trickle) {
            auto [ec, written] = co_await asio::async_write(socket, asio::buffer(bytes), kTuple);
            co_return !ec;
        }
        for (const std::uint8_t& byte : bytes) {
            auto [ec, written] = co_await asio::async_write(socket, asio::buffer(&byte, 1), kTuple);
            if (ec) co_return false;
        }
        co_return true;
    }

    asio::awaitable<void> Listen() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(kTuple);
            if (ec) {
                if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
                continue;
            }
            error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);  // so that trickled bytes leave one by one
            auto shared = std::make_shared<tcp::socket>(std::move(socket));
            sessions.insert(shared);
            connections.fetch_add(1, std::memory_order_relaxed);
            open_connections.fetch_add(1, std::memory_order_relaxed);
            asio::co_spawn(ioc, Serve(std::move(shared)),
                           [](std::exception_ptr error) { LogException(error, "a connection"); });
        }
    }

    // I/O thread only.
    void CloseSessions() {
        error_code ignored;
        for (const std::shared_ptr<tcp::socket>& socket : sessions) socket->close(ignored);
    }

    std::mutex mutex;  // guards options.registers and options.quirks
    LoggerOptions options;
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::size_t> open_connections{0};
    std::uint16_t port = 0;
    std::mutex stop_mutex;  // guards stopped and posting to the I/O thread against its end
    bool stopped = false;
    // Destroyed in reverse: the sockets before the io_context they belong to.
    asio::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    std::set<std::shared_ptr<tcp::socket>> sessions;  // I/O thread only
    std::thread thread;
};

Result<std::unique_ptr<SolarmanLogger>> SolarmanLogger::Start(LoggerOptions options) {
    error_code ec;
    const asio::ip::address address = asio::ip::make_address(options.address, ec);
    if (ec)
        return MakeError(Errc::kInvalidArgument, "solarman logger sim: '" + options.address + "' is not an IP address");
    const tcp::endpoint endpoint(address, options.port);
    auto impl = std::make_unique<Impl>(std::move(options));
    tcp::acceptor& acceptor = impl->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) impl->port = acceptor.local_endpoint(ec).port();
    if (ec) {
        return MakeError(Errc::kUnavailable, "solarman logger sim: cannot listen on " + endpoint.address().to_string() +
                                                 " port " + std::to_string(endpoint.port()) + ": " + ec.message());
    }
    Impl& ref = *impl;
    asio::co_spawn(ref.ioc, ref.Listen(), [](std::exception_ptr error) { LogException(error, "the listener"); });
    // Without a work guard, run() returns once the listener and every connection have ended, i.e. after Stop().
    ref.thread = std::thread([&ref] {
        try {
            ref.ioc.run();
        } catch (...) {
            LogException(std::current_exception(), "the I/O thread");
        }
    });
    return std::unique_ptr<SolarmanLogger>(new SolarmanLogger(std::move(impl)));
}

SolarmanLogger::SolarmanLogger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SolarmanLogger::~SolarmanLogger() {
    Stop();
}

void SolarmanLogger::Stop() {
    std::lock_guard lock(impl_->stop_mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
    asio::post(impl_->ioc, [impl = impl_.get()] {
        error_code ignored;
        impl->acceptor.close(ignored);
        impl->CloseSessions();
    });
    if (impl_->thread.joinable()) impl_->thread.join();
}

std::uint16_t SolarmanLogger::port() const noexcept {
    return impl_->port;
}

std::uint32_t SolarmanLogger::logger_serial() const noexcept {
    return impl_->options.logger_serial;  // never changes after Start
}

void SolarmanLogger::SetRegisters(RegisterImage registers) {
    std::lock_guard lock(impl_->mutex);
    impl_->options.registers = std::move(registers);
}

void SolarmanLogger::SetQuirks(LoggerQuirks quirks) {
    std::lock_guard lock(impl_->mutex);
    impl_->options.quirks = std::move(quirks);
}

void SolarmanLogger::DropConnections() {
    std::promise<void> done;
    std::future<void> closed = done.get_future();
    {
        // Posted while the I/O thread is known to run: it runs this before it can finish, even if Stop() follows.
        std::lock_guard lock(impl_->stop_mutex);
        if (impl_->stopped) return;
        asio::post(impl_->ioc, [impl = impl_.get(), &done] {
            impl->CloseSessions();
            done.set_value();
        });
    }
    closed.wait();
}

std::uint64_t SolarmanLogger::requests() const noexcept {
    return impl_->requests.load(std::memory_order_relaxed);
}

std::uint64_t SolarmanLogger::connections() const noexcept {
    return impl_->connections.load(std::memory_order_relaxed);
}

std::size_t SolarmanLogger::open_connections() const noexcept {
    return impl_->open_connections.load(std::memory_order_relaxed);
}

}  // namespace mh::sim
