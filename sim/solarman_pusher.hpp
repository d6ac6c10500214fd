// Simulated Solarman V5 logger sticks in push ("server") mode: what a Deye or TSUN micro inverter's logger sends
// to the server its "Server A" setting points at (docs/protocols/solarman-v5.md), for the demo, the collector's
// tests and the ingest benchmark.
//
// This header is the client: RunSolarmanPushers keeps N simulated loggers connected to a server over TCP
// (Boost.Asio coroutines, implementation only: this header includes no Asio) and checks every reply. What the
// loggers send is built without I/O elsewhere: the readings in sim/solarman_inverter.hpp, the frames and the reply
// check in sim/solarman_frames.hpp; both are included here, so this one include still gives the whole simulator.
//
// Thread-safety: PusherStats is atomics, readable from any thread while RunSolarmanPushers runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stop_token>
#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "sim/solarman_frames.hpp"
#include "sim/solarman_inverter.hpp"

namespace mh::sim {

struct PusherOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 10000;
    std::size_t loggers = 1;
    std::uint32_t first_logger_serial = 4'100'000'000;  // logger i has serial first + i
    PushLayout layout = PushLayout::kDeyeMicro;
    // Between data frames; 0: "as fast as acknowledged", the next data frame goes out as soon as the reply to
    // the previous one arrived (load generation).
    std::chrono::milliseconds interval{std::chrono::minutes(5)};
    std::chrono::milliseconds heartbeat_interval{std::chrono::seconds(60)};  // 0: no heartbeats
    // Loggers drop and re-open their connection about every 3 h; 0: never.
    std::chrono::milliseconds reconnect_every{std::chrono::hours(3)};
    std::chrono::milliseconds reply_timeout{std::chrono::seconds(10)};  // no reply: the connection is dropped
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
    std::chrono::milliseconds retry_delay{std::chrono::seconds(2)};  // after a failed connect or a lost connection
    // Each logger stops after this many real-time data frames were answered (or timed out); 0: never.
    std::uint64_t data_frames_per_logger = 0;
    std::size_t threads = 2;
    std::uint64_t seed = 1;
    ReplyCheck reply_check;  // its zone is also the solar curve's local time

    // Errc::kInvalidArgument naming the first bad option.
    Status Validate() const;
};

// Counters of a run, updated as frames go and replies come; read them from any thread.
struct PusherStats {
    std::atomic<std::uint64_t> connects{0};          // TCP connections opened
    std::atomic<std::uint64_t> connect_failures{0};  // attempts that failed or timed out
    std::atomic<std::uint64_t> reconnects{0};        // connections re-opened: planned (reconnect_every) or after loss
    std::atomic<std::uint64_t> frames_sent{0};       // every frame: hello, heartbeat, data
    std::atomic<std::uint64_t> data_frames_sent{0};  // real-time and historic data frames
    std::atomic<std::uint64_t> historic_sent{0};     // data frames re-sent as 0x81 after a lost connection
    std::atomic<std::uint64_t> replies_ok{0};
    std::atomic<std::uint64_t> replies_bad{0};     // garbage, or a reply that fails CheckReply (logged)
    std::atomic<std::uint64_t> reply_timeouts{0};  // no reply within reply_timeout, or the connection closed
    std::atomic<std::uint64_t> loggers_finished{0};
};

// Runs `options.loggers` simulated loggers against host:port until `stop` is requested or every logger has sent
// its data_frames_per_logger frames; returns then. Each logger connects, sends a hello and a data frame, then a
// data frame every interval and heartbeats in between, waits for the reply to each frame and checks it
// (CheckReply; a bad reply is counted and logged, and the logger carries on), re-opens its connection every
// reconnect_every, and after a lost connection re-sends the unanswered data frames as historic (0x81) ones.
// `clock` drives the solar curve and judges the replies' time. Like a real logger, each one sets its own clock
// from every good reply (UTC or local wall time, whichever the server sends) and stamps its data with it. The
// pacing of intervals and timeouts is steady real time. Runs options.threads I/O threads, the caller's among
// them. Errors: invalid options, a host that does not resolve.
Status RunSolarmanPushers(const PusherOptions& options, const Clock& clock, PusherStats& stats, std::stop_token stop);

}  // namespace mh::sim
