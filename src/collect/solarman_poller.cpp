// SolarmanPoller: the pull-mode client (one connection, one request in flight) and PollAndReport.
//
// I/O runs as Asio coroutines on the poller's private io_context, which PollOnce() runs in the calling thread
// until the poll's coroutine ends. Timeouts are a watchdog timer that closes the socket, which aborts whatever
// the coroutine is waiting for; Stop() posts the same close from another thread. Every step checks `stopped`
// after resuming, because a completion may already have been queued when the close came.
#include "collect/solarman_poller.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "ingest/solarman/framer.hpp"
#include "ingest/solarman/modbus.hpp"

namespace mh::collect {
namespace {

namespace asio = boost::asio;
namespace sm = ingest::solarman;
using boost::system::error_code;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kReadChunk = 2048;

std::string DescribeRange(const sm::RegisterRange& range) {
    return fmt::format("registers 0x{:04X}..0x{:04X}", range.start, range.start + range.count - 1);
}

const char* ExceptionName(std::uint8_t code) {
    switch (code) {
        case 0x01: return "illegal function";
        case 0x02: return "illegal data address";
        case 0x03: return "illegal data value";
        case 0x04: return "slave device failure";
        case 0x05: return "acknowledge";
        case 0x06: return "slave device busy";
        default: return "unknown exception";
    }
}

// A random first sequence byte, so that replies a previous process's requests left in the logger are
// unlikely to match ours after a restart.
std::uint8_t RandomSequence() {
    std::random_device random;
    return static_cast<std::uint8_t>(random());
}

}  // namespace

Status PollerTarget::Validate() const {
    const auto bad = [](const std::string& what) {
        return MakeError(Errc::kInvalidArgument, "solarman poll: " + what);
    };
    if (host.empty()) return bad("host must be set");
    if (port == 0) return bad("port must be non-zero");
    if (logger_serial == 0) return bad("logger_serial must be set (the number printed on the logger stick)");
    if (function != sm::kReadHoldingRegisters && function != sm::kReadInputRegisters) {
        return bad(fmt::format("function 0x{:02X} is not a register read (0x03 or 0x04)", function));
    }
    if (timeout.count() <= 0) return bad("timeout must be positive");
    if (map.layout != sm::MapLayout::kHoldingRegisters) {
        return bad("field map \"" + map.name + "\" is not a holding-register map");
    }
    MH_RETURN_IF_ERROR(sm::ValidateFieldMap(map));
    if (sm::PlanRegisterReads(map).empty()) return bad("field map \"" + map.name + "\" has no register to read");
    return Ok();
}

const char* PollStatusName(PollStatus status) noexcept {
    switch (status) {
        case PollStatus::kOk: return "ok";
        case PollStatus::kInverterAsleep: return "inverter_asleep";
        case PollStatus::kWrongSerial: return "wrong_serial";
        case PollStatus::kRejected: return "rejected";
        case PollStatus::kUnreachable: return "unreachable";
        case PollStatus::kBadReply: return "bad_reply";
        case PollStatus::kInternal: return "internal";
    }
    return "internal";
}

PollStatus PollStatusOf(const Error& error) noexcept {
    switch (error.code) {
        case Errc::kFailedPrecondition: return PollStatus::kInverterAsleep;
        case Errc::kNotFound: return PollStatus::kWrongSerial;
        case Errc::kInvalidArgument: return PollStatus::kRejected;
        case Errc::kUnavailable: return PollStatus::kUnreachable;
        case Errc::kDataLoss: return PollStatus::kBadReply;
        default: return PollStatus::kInternal;
    }
}

struct SolarmanPoller::Impl {
    explicit Impl(PollerTarget t)
        : target(std::move(t)),
          plan(sm::PlanRegisterReads(target.map)),
          where(target.host + ":" + std::to_string(target.port)),
          sequence(RandomSequence()) {}

    Error Fail(Errc code, const std::string& what) const {
        return MakeError(code, "solarman poll " + where + ": " + what);
    }

    // Closes the connection: aborts any pending operation, and the next poll reconnects.
    void Disconnect() {
        error_code ignored;
        resolver.cancel();
        socket.close(ignored);
        framer.Reset();
    }

    // Starts the watchdog for one step (connect, or one read from request to reply). The generation makes a
    // firing that was already queued when the step ended harmless.
    void Arm() {
        const std::uint64_t generation = ++watch_generation;
        timed_out = false;
        watchdog.expires_after(target.timeout);
        watchdog.async_wait([this, generation](error_code ec) {
            if (ec || generation != watch_generation) return;
            timed_out = true;
            Disconnect();
        });
    }
    void Disarm() {
        ++watch_generation;
        watchdog.cancel();
    }

    // The error for a failed socket operation; sets `dropped` when the logger closed or reset the connection,
    // the one failure worth a reconnect within the poll.
    Error IoError(const error_code& ec, const std::string& what) {
        Disconnect();
        if (stopped) return Fail(Errc::kUnavailable, "stopped");
        if (timed_out) {
            return Fail(Errc::kUnavailable, fmt::format("no answer {} within {} ms", what, target.timeout.count()));
        }
        dropped = true;
        return Fail(Errc::kUnavailable, "connection lost " + what + ": " + ec.message());
    }

    asio::awaitable<Status> Connect() {
        Disconnect();
        auto [resolve_ec, endpoints] =
            co_await resolver.async_resolve(target.host, std::to_string(target.port), kTuple);
        if (stopped) co_return Fail(Errc::kUnavailable, "stopped");
        if (resolve_ec) {
            if (timed_out) co_return Fail(Errc::kUnavailable, "resolving the host timed out");
            co_return Fail(Errc::kUnavailable, "cannot resolve the host: " + resolve_ec.message());
        }
        auto [connect_ec, endpoint] = co_await asio::async_connect(socket, endpoints, kTuple);
        if (stopped) co_return Fail(Errc::kUnavailable, "stopped");
        if (connect_ec) {
            Disconnect();
            if (timed_out) {
                co_return Fail(Errc::kUnavailable,
                               fmt::format("connecting timed out after {} ms", target.timeout.count()));
            }
            co_return Fail(Errc::kUnavailable, "cannot connect: " + connect_ec.message());
        }
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);  // requests are single small writes
        framer.Reset();
        connects.fetch_add(1, std::memory_order_relaxed);
        co_return Ok();
    }

    // The next complete frame from the connection. Garbage closes the connection: the framer has dropped its
    // buffer, and a fresh connection is the surest way back to a frame boundary.
    asio::awaitable<Result<sm::Frame>> NextFrame(const std::string& what) {
        for (;;) {
            if (stopped) co_return IoError({}, what);
            auto next = framer.Next();
            if (!next) {
                Disconnect();
                co_return Fail(Errc::kDataLoss, next.error().message);
            }
            if (*next) {
                auto frame = sm::DecodeFrame(**next);
                if (!frame) co_return Fail(Errc::kDataLoss, frame.error().message);
                co_return std::move(*frame);
            }
            auto [ec, count] = co_await socket.async_read_some(asio::buffer(chunk), kTuple);
            if (ec) co_return IoError(ec, what);
            if (auto fed = framer.Feed(std::span<const std::uint8_t>(chunk.data(), count)); !fed) {
                Disconnect();
                co_return Fail(Errc::kDataLoss, fed.error().message);
            }
        }
    }

    // One request and its reply. Between them a logger may send anything; only a 0x1510/0x0510 carrying our
    // sequence byte answers us (a spontaneous heartbeat carries the same byte 5, so the control code is checked
    // first).
    asio::awaitable<Result<sm::RegisterBlock>> ReadBlock(const sm::RegisterRange& range) {
        dropped = false;
        const std::uint8_t seq = ++sequence;
        const std::string what = "to reading " + DescribeRange(range);
        auto request =
            sm::EncodeModbusRead(target.logger_serial, seq, target.slave, range.start, range.count, target.function);
        if (!request) co_return Fail(Errc::kInternal, request.error().message);
        auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(*request), kTuple);
        if (stopped || write_ec) co_return IoError(write_ec, what);
        for (;;) {
            auto frame = co_await NextFrame(what);
            if (!frame) co_return std::move(frame).error();
            if (frame->control != sm::ControlCode::kRequestReply &&
                frame->control != sm::ControlCode::kRequestInterim) {
                spdlog::debug("solarman poll {}: skipping a {} frame while waiting for a reply", where,
                              sm::ControlCodeName(frame->control));
                continue;
            }
            if (frame->server_sequence != seq) {
                spdlog::debug("solarman poll {}: skipping a stale reply (sequence 0x{:02X}, want 0x{:02X})", where,
                              frame->server_sequence, seq);
                continue;
            }
            auto reply = sm::DecodeModbusReply(*frame);
            if (!reply) co_return Fail(Errc::kDataLoss, reply.error().message);
            switch (reply->kind) {
                case sm::ModbusReplyKind::kInterim: continue;  // the real reply follows
                case sm::ModbusReplyKind::kWrongSerial:
                    co_return Fail(Errc::kNotFound,
                                   fmt::format("the logger there has serial {}, not the configured {}; set "
                                               "logger_serial = {}",
                                               reply->logger_serial, target.logger_serial, reply->logger_serial));
                case sm::ModbusReplyKind::kNoInverterAnswer:
                    co_return Fail(Errc::kFailedPrecondition,
                                   fmt::format("the logger answered but the inverter (slave {}) did not: asleep "
                                               "(normal at night) or a wrong slave id",
                                               target.slave));
                case sm::ModbusReplyKind::kException:
                    co_return Fail(
                        Errc::kInvalidArgument,
                        fmt::format("the inverter rejected reading {} with Modbus exception 0x{:02X} ({})",
                                    DescribeRange(range), reply->exception_code, ExceptionName(reply->exception_code)));
                case sm::ModbusReplyKind::kRegisters: break;
            }
            if (reply->registers.size() != range.count) {
                co_return Fail(Errc::kDataLoss, fmt::format("asked for {} registers at 0x{:04X}, got {}", range.count,
                                                            range.start, reply->registers.size()));
            }
            co_return sm::RegisterBlock{range.start, std::move(reply->registers)};
        }
    }

    asio::awaitable<Result<DataReport>> PollBlocks() {
        std::vector<sm::RegisterBlock> blocks;
        blocks.reserve(plan.size());
        bool reconnected = false;
        for (const sm::RegisterRange& range : plan) {
            for (;;) {
                if (!socket.is_open()) {
                    Arm();
                    Status connected = co_await Connect();
                    Disarm();
                    if (!connected) co_return std::move(connected).error();
                }
                Arm();
                auto block = co_await ReadBlock(range);
                Disarm();
                if (block) {
                    blocks.push_back(std::move(*block));
                    break;
                }
                // Loggers close idle connections (and reset every few hours): worth one fresh connection.
                if (!dropped || reconnected) co_return std::move(block).error();
                reconnected = true;
                spdlog::debug("{}; reconnecting", block.error().message);
            }
        }
        co_return sm::DecodeRegisters(target.map, blocks);
    }

    asio::awaitable<void> Poll(std::optional<Result<DataReport>>& out) {
        Result<DataReport> result = co_await PollBlocks();
        out.emplace(std::move(result));
    }

    // Destroyed in reverse: the I/O objects before the io_context they belong to.
    PollerTarget target;
    std::vector<sm::RegisterRange> plan;
    std::string where;  // "host:port", for messages
    asio::io_context ioc{1};
    tcp::resolver resolver{ioc};
    tcp::socket socket{ioc};
    asio::steady_timer watchdog{ioc};
    std::uint64_t watch_generation = 0;
    bool timed_out = false;
    bool dropped = false;
    sm::Framer framer{sm::kMaxFrameSize + kReadChunk};
    std::array<std::uint8_t, kReadChunk> chunk{};
    std::uint8_t sequence;
    std::atomic<bool> stopped{false};
    std::atomic<std::uint64_t> connects{0};
};

Result<std::unique_ptr<SolarmanPoller>> SolarmanPoller::Create(PollerTarget target) {
    MH_RETURN_IF_ERROR(target.Validate());
    return std::unique_ptr<SolarmanPoller>(new SolarmanPoller(std::make_unique<Impl>(std::move(target))));
}

SolarmanPoller::SolarmanPoller(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SolarmanPoller::~SolarmanPoller() = default;

Result<DataReport> SolarmanPoller::PollOnce() {
    Impl& impl = *impl_;
    if (impl.stopped) return impl.Fail(Errc::kUnavailable, "stopped");
    std::optional<Result<DataReport>> result;
    impl.ioc.restart();
    asio::co_spawn(impl.ioc, impl.Poll(result), [&impl, &result](std::exception_ptr error) {
        if (!error) return;
        impl.Disconnect();
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            result.emplace(impl.Fail(Errc::kInternal, std::string("poll failed: ") + e.what()));
        } catch (...) {
            result.emplace(impl.Fail(Errc::kInternal, "poll failed"));
        }
    });
    impl.ioc.run();
    if (!result) return impl.Fail(Errc::kInternal, "the poll did not complete");
    return std::move(*result);
}

void SolarmanPoller::Stop() {
    if (impl_->stopped.exchange(true)) return;
    // Runs in PollOnce's thread if a poll is running; otherwise it waits, and the next PollOnce returns before
    // running the io_context.
    asio::post(impl_->ioc, [impl = impl_.get()] { impl->Disconnect(); });
}

bool SolarmanPoller::stopped() const noexcept {
    return impl_->stopped.load();
}

const PollerTarget& SolarmanPoller::target() const noexcept {
    return impl_->target;
}

std::uint64_t SolarmanPoller::connects() const noexcept {
    return impl_->connects.load(std::memory_order_relaxed);
}

// ---- PollAndReport -----------------------------------------------------------------------------------------------

namespace {

void LogFailure(const Error& error, PollStatus status) {
    if (status == PollStatus::kInverterAsleep) {
        spdlog::debug("{}", error.message);
    } else {
        spdlog::warn("{}", error.message);
    }
}

void Deliver(const Result<DataReport>& result, Timestamp when, const PollCallbacks& callbacks) {
    try {
        if (result) {
            if (callbacks.on_report) callbacks.on_report(*result, when);
            return;
        }
        const PollStatus status = PollStatusOf(result.error());
        if (callbacks.on_failure) {
            callbacks.on_failure(result.error(), status, when);
        } else {
            LogFailure(result.error(), status);
        }
    } catch (const std::exception& e) {
        spdlog::error("solarman poll: a callback failed: {}", e.what());
    } catch (...) {
        spdlog::error("solarman poll: a callback failed");
    }
}

}  // namespace

void PollAndReport(SolarmanPoller& poller, const Clock& clock, const PollCallbacks& callbacks) {
    const Result<DataReport> result = poller.PollOnce();
    if (!result && poller.stopped()) return;  // cut short by Stop(): not a failure worth reporting
    Deliver(result, clock.Now(), callbacks);
}

}  // namespace mh::collect
