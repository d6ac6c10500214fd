// Simulated Solarman push loggers, the client: the options check and one coroutine per logger on its own strand,
// talking TCP to the server. See the header for the contracts.
#include "sim/solarman_pusher.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "ingest/solarman/frame.hpp"
#include "ingest/solarman/framer.hpp"

namespace mh::sim {

namespace sm = ingest::solarman;

// ---- Options ----------------------------------------------------------------------------------------------

Status PusherOptions::Validate() const {
    const auto bad = [](const std::string& what) { return MakeError(Errc::kInvalidArgument, "solarman sim: " + what); };
    using std::chrono::milliseconds;
    if (host.empty()) return bad("host is empty");
    if (port == 0) return bad("port must be 1..65535");
    if (loggers == 0 || loggers > 1'000'000) return bad("loggers must be 1..1000000");
    if (std::uint64_t{first_logger_serial} + loggers - 1 > std::numeric_limits<std::uint32_t>::max()) {
        return bad("first_logger_serial + loggers exceeds the 32-bit serial range");
    }
    if (interval < milliseconds::zero() || heartbeat_interval < milliseconds::zero() ||
        reconnect_every < milliseconds::zero() || retry_delay < milliseconds::zero()) {
        return bad("interval, heartbeat_interval, reconnect_every and retry_delay must not be negative");
    }
    if (reply_timeout <= milliseconds::zero() || connect_timeout <= milliseconds::zero()) {
        return bad("reply_timeout and connect_timeout must be positive");
    }
    if (threads == 0 || threads > 256) return bad("threads must be 1..256");
    if (reply_check.time_tolerance < std::chrono::seconds::zero()) return bad("time_tolerance must not be negative");
    return Ok();
}

// ---- The client -------------------------------------------------------------------------------------------

namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kMaxUnanswered = 64;  // data frames kept for a historic re-send, like a logger's buffer
// Bad replies logged per logger; after that every 1000th, so that a broken server cannot flood the log at
// thousands of frames per second.
constexpr std::uint64_t kLoggedBadReplies = 5;

// What the loggers of one run share; owned by RunSolarmanPushers, outlives every logger coroutine.
struct RunContext {
    const PusherOptions& options;
    const Clock& clock;
    PusherStats& stats;
    tcp::resolver::results_type endpoints;
};

// One simulated logger: its connection, its frames and its inverter. Everything runs on its strand; Stop() is
// posted there too, so no member is touched from two threads at once.
class PusherLogger {
  public:
    PusherLogger(RunContext& run, LoggerFrames frames, SimulatedInverter inverter, asio::any_io_executor strand)
        : run_(run),
          frames_(std::move(frames)),
          inverter_(std::move(inverter)),
          strand_(strand),
          socket_(strand),
          timer_(strand) {}

    const asio::any_io_executor& executor() const { return strand_; }
    std::uint32_t serial() const { return frames_.settings().logger_serial; }

    asio::awaitable<void> Run();

    void Stop() {
        stopping_ = true;
        error_code ec;
        socket_.close(ec);
        timer_.cancel();
    }

  private:
    enum class Outcome { kOk, kBad, kLost };                    // of one frame and its reply
    enum class SessionEnd { kDone, kPlannedReconnect, kLost };  // of one connection

    struct Unanswered {
        InverterReading reading;
        Timestamp device_time;
    };

    bool Done() const {
        const std::uint64_t limit = run_.options.data_frames_per_logger;
        return stopping_ || (limit != 0 && data_frames_ >= limit);
    }

    // The logger's clock: the injected clock shifted to the time the server last sent (UTC or local wall time).
    Timestamp DeviceTime(Timestamp now) const { return now + device_offset_; }

    asio::awaitable<bool> Connect();
    asio::awaitable<SessionEnd> Converse();
    asio::awaitable<Outcome> SendData(bool historic, const Unanswered* again);
    asio::awaitable<Outcome> Exchange(const sm::Frame& frame);
    asio::awaitable<Result<std::optional<std::vector<std::uint8_t>>>> ReadFrame();
    asio::awaitable<void> PauseUntil(SteadyClock::time_point until);
    void BadReply(const sm::Frame& request, std::string_view why);
    void Close() {
        error_code ec;
        socket_.close(ec);
    }

    RunContext& run_;
    LoggerFrames frames_;
    SimulatedInverter inverter_;
    asio::any_io_executor strand_;
    tcp::socket socket_;
    asio::steady_timer timer_;
    sm::Framer framer_{2 * sm::kMaxFrameSize};
    std::array<std::uint8_t, 2048> read_buffer_{};
    std::deque<Unanswered> unanswered_;
    Millis device_offset_{0};
    std::uint64_t data_frames_ = 0;  // real-time data frames sent, for data_frames_per_logger
    std::uint64_t bad_replies_ = 0;
    bool stopping_ = false;
};

asio::awaitable<void> PusherLogger::Run() {
    bool connected_before = false;
    while (!Done()) {
        const bool connected = co_await Connect();
        if (Done()) break;
        if (!connected) {
            run_.stats.connect_failures.fetch_add(1, std::memory_order_relaxed);
            co_await PauseUntil(SteadyClock::now() + run_.options.retry_delay);
            continue;
        }
        run_.stats.connects.fetch_add(1, std::memory_order_relaxed);
        if (connected_before) run_.stats.reconnects.fetch_add(1, std::memory_order_relaxed);
        connected_before = true;
        const SessionEnd end = co_await Converse();
        Close();
        if (end == SessionEnd::kLost && !Done()) co_await PauseUntil(SteadyClock::now() + run_.options.retry_delay);
    }
    Close();
    run_.stats.loggers_finished.fetch_add(1, std::memory_order_relaxed);
}

asio::awaitable<bool> PusherLogger::Connect() {
    if (Done()) co_return false;
    timer_.expires_after(run_.options.connect_timeout);
    auto [order, connect_ec, endpoint, timer_ec] =
        co_await asio::experimental::make_parallel_group(asio::async_connect(socket_, run_.endpoints, asio::deferred),
                                                         timer_.async_wait(asio::deferred))
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    const bool connected = order[0] == 0 && !connect_ec;
    if (!connected) {
        Close();
        if (!stopping_) {
            spdlog::debug("solarman sim: logger {} cannot connect to {}:{}: {}", serial(), run_.options.host,
                          run_.options.port, order[0] == 0 ? connect_ec.message() : "timed out");
        }
        co_return false;
    }
    error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);  // one small frame per write: do not wait for Nagle
    framer_.Reset();
    co_return true;
}

asio::awaitable<PusherLogger::SessionEnd> PusherLogger::Converse() {
    const PusherOptions& options = run_.options;
    const Outcome hello = co_await Exchange(frames_.Hello(run_.clock.Now()));
    if (hello == Outcome::kLost) co_return SessionEnd::kLost;
    // What the previous connection left unanswered goes first, flagged historic, as loggers do after an outage.
    while (!unanswered_.empty() && !Done()) {
        const Unanswered again = unanswered_.front();
        const Outcome outcome = co_await SendData(/*historic=*/true, &again);
        if (outcome == Outcome::kLost) co_return SessionEnd::kLost;
        unanswered_.pop_front();
    }

    const SteadyClock::time_point opened = SteadyClock::now();
    const bool heartbeats = options.heartbeat_interval.count() > 0;
    const bool reconnects = options.reconnect_every.count() > 0;
    SteadyClock::time_point next_data = opened;  // the first data frame follows the hello at once
    SteadyClock::time_point next_heartbeat = opened + options.heartbeat_interval;
    while (!Done()) {
        const SteadyClock::time_point now = SteadyClock::now();
        if (reconnects && now >= opened + options.reconnect_every) co_return SessionEnd::kPlannedReconnect;
        Outcome outcome = Outcome::kOk;
        // Heartbeats first when due, so that "as fast as acknowledged" data does not starve them.
        if (heartbeats && now >= next_heartbeat) {
            next_heartbeat = now + options.heartbeat_interval;
            outcome = co_await Exchange(frames_.Heartbeat());
        } else if (now >= next_data) {
            next_data = now + options.interval;
            outcome = co_await SendData(/*historic=*/false, nullptr);
        } else {
            SteadyClock::time_point due = next_data;
            if (heartbeats) due = std::min(due, next_heartbeat);
            if (reconnects) due = std::min(due, opened + options.reconnect_every);
            co_await PauseUntil(due);
        }
        if (outcome == Outcome::kLost) co_return SessionEnd::kLost;
    }
    co_return SessionEnd::kDone;
}

asio::awaitable<PusherLogger::Outcome> PusherLogger::SendData(bool historic, const Unanswered* again) {
    Unanswered data;
    if (again != nullptr) {
        data = *again;
    } else {
        const Timestamp now = run_.clock.Now();
        data.reading = inverter_.ReadingAt(now, run_.options.reply_check.zone);
        data.device_time = DeviceTime(now);
    }
    Result<sm::Frame> frame = frames_.Data(data.reading, data.device_time, historic);
    if (!frame) {
        // The simulated values always fit their fields; if one does not, this is a bug: stop this logger.
        spdlog::error("solarman sim: logger {} cannot build a data frame: {}", serial(), frame.error().message);
        stopping_ = true;
        co_return Outcome::kLost;
    }
    if (historic) {
        run_.stats.historic_sent.fetch_add(1, std::memory_order_relaxed);
    } else {
        ++data_frames_;
    }
    run_.stats.data_frames_sent.fetch_add(1, std::memory_order_relaxed);
    const Outcome outcome = co_await Exchange(*frame);
    if (outcome == Outcome::kLost && !historic) {
        if (unanswered_.size() == kMaxUnanswered) unanswered_.pop_front();
        unanswered_.push_back(std::move(data));
    }
    co_return outcome;
}

asio::awaitable<PusherLogger::Outcome> PusherLogger::Exchange(const sm::Frame& frame) {
    if (stopping_) co_return Outcome::kLost;
    const std::vector<std::uint8_t> bytes = sm::EncodeFrame(frame);
    run_.stats.frames_sent.fetch_add(1, std::memory_order_relaxed);
    const auto [write_ec, written] =
        co_await asio::async_write(socket_, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
    if (write_ec) {
        if (!stopping_) run_.stats.reply_timeouts.fetch_add(1, std::memory_order_relaxed);
        co_return Outcome::kLost;
    }
    Result<std::optional<std::vector<std::uint8_t>>> received = co_await ReadFrame();
    if (!received) {
        BadReply(frame, received.error().message);
        co_return Outcome::kBad;
    }
    if (!*received) {
        if (!stopping_) run_.stats.reply_timeouts.fetch_add(1, std::memory_order_relaxed);
        co_return Outcome::kLost;
    }
    const Timestamp now = run_.clock.Now();
    Result<sm::Frame> reply = CheckReply(frame, **received, now, run_.options.reply_check);
    if (!reply) {
        BadReply(frame, reply.error().message);
        co_return Outcome::kBad;
    }
    run_.stats.replies_ok.fetch_add(1, std::memory_order_relaxed);
    frames_.Acknowledged(*reply);
    // Loggers set their clock from every acknowledgement; the data they stamp afterwards carries that clock.
    std::int64_t reply_s = 0;
    for (std::size_t i = 0; i < 4; ++i) reply_s |= std::int64_t{reply->payload[2 + i]} << (8 * i);
    device_offset_ = Millis{reply_s * 1000} - now.time_since_epoch();
    co_return Outcome::kOk;
}

// The next frame from the server; nullopt when none came within reply_timeout or the connection ended; an error
// for garbage (the framer dropped what it had buffered).
asio::awaitable<Result<std::optional<std::vector<std::uint8_t>>>> PusherLogger::ReadFrame() {
    const SteadyClock::time_point deadline = SteadyClock::now() + run_.options.reply_timeout;
    while (true) {
        Result<std::optional<std::vector<std::uint8_t>>> next = framer_.Next();
        if (!next || *next || stopping_) co_return next;
        if (SteadyClock::now() >= deadline) co_return std::optional<std::vector<std::uint8_t>>();
        timer_.expires_at(deadline);
        auto [order, read_ec, n, timer_ec] =
            co_await asio::experimental::make_parallel_group(
                socket_.async_read_some(asio::buffer(read_buffer_), asio::deferred), timer_.async_wait(asio::deferred))
                .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
        if (order[0] != 0 || read_ec) co_return std::optional<std::vector<std::uint8_t>>();
        if (Status fed = framer_.Feed(std::span(read_buffer_.data(), n)); !fed) co_return std::move(fed).error();
    }
}

asio::awaitable<void> PusherLogger::PauseUntil(SteadyClock::time_point until) {
    if (stopping_) co_return;
    timer_.expires_at(until);
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
}

void PusherLogger::BadReply(const sm::Frame& request, std::string_view why) {
    run_.stats.replies_bad.fetch_add(1, std::memory_order_relaxed);
    ++bad_replies_;
    if (bad_replies_ <= kLoggedBadReplies || bad_replies_ % 1000 == 0) {
        spdlog::error(
            "solarman sim: logger {}: the server's answer to {} frame (sequence {:02X} {:02X}) is wrong: {} "
            "[bad reply {} of this logger]",
            request.logger_serial, sm::ControlCodeName(request.control), request.server_sequence,
            request.logger_sequence, why, bad_replies_);
    }
}

std::string InverterSerialFor(PushLayout layout, std::uint32_t logger_serial) {
    // Deye micro serials are 10 digits ("2306114210"); TSUN's are 16 characters ("Y17E7A0F010B013E").
    if (layout == PushLayout::kSensor02B0) return fmt::format("Y17E{:012X}", logger_serial);
    return fmt::format("23{:08}", logger_serial % 100'000'000);
}

}  // namespace

Status RunSolarmanPushers(const PusherOptions& options, const Clock& clock, PusherStats& stats, std::stop_token stop) {
    MH_RETURN_IF_ERROR(options.Validate());
    asio::io_context io(static_cast<int>(options.threads));
    error_code ec;
    tcp::resolver resolver(io);
    tcp::resolver::results_type endpoints = resolver.resolve(options.host, std::to_string(options.port), ec);
    if (ec) {
        return MakeError(Errc::kUnavailable, "solarman sim: cannot resolve " + options.host + ": " + ec.message());
    }
    RunContext run{options, clock, stats, std::move(endpoints)};

    const Timestamp boot = clock.Now();
    std::vector<std::unique_ptr<PusherLogger>> loggers;
    loggers.reserve(options.loggers);
    for (std::size_t i = 0; i < options.loggers; ++i) {
        LoggerSettings settings;
        settings.logger_serial = options.first_logger_serial + static_cast<std::uint32_t>(i);
        settings.inverter_serial = InverterSerialFor(options.layout, settings.logger_serial);
        settings.layout = options.layout;
        settings.boot_time = boot;
        settings.upload_interval_s =
            static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(options.interval).count());
        settings.heartbeat_interval_s = static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::seconds>(options.heartbeat_interval).count());
        MH_ASSIGN_OR_RETURN(LoggerFrames frames, LoggerFrames::Create(std::move(settings)));
        SimulatedInverter inverter(options.layout, options.seed * 1'000'003 + frames.settings().logger_serial);
        loggers.push_back(
            std::make_unique<PusherLogger>(run, std::move(frames), std::move(inverter), asio::make_strand(io)));
    }
    for (const std::unique_ptr<PusherLogger>& logger : loggers) {
        asio::co_spawn(logger->executor(), logger->Run(), [serial = logger->serial()](std::exception_ptr error) {
            if (!error) return;
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                spdlog::error("solarman sim: logger {} failed: {}", serial, e.what());
            } catch (...) {
                spdlog::error("solarman sim: logger {} failed", serial);
            }
        });
    }
    // Declared after `loggers`, so it is gone (and any running callback finished) before they are destroyed.
    // A Stop() posted after the threads returned is dropped with the io_context, never run.
    const std::stop_callback on_stop(stop, [&loggers] {
        for (const std::unique_ptr<PusherLogger>& logger : loggers) {
            asio::post(logger->executor(), [target = logger.get()] { target->Stop(); });
        }
    });
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < options.threads; ++i) threads.emplace_back([&io] { io.run(); });
    io.run();
    for (std::thread& thread : threads) thread.join();
    return Ok();
}

}  // namespace mh::sim
