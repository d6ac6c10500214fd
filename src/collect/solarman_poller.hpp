// SolarmanPoller: reads an inverter's registers through a Solarman V5 logger stick in pull mode — Modbus RTU
// tunnelled in V5 frames to the stick's TCP port 8899 (docs/protocols/solarman-v5.md, "Pull mode";
// docs/devices/solarman-pull.md) — and decodes them with a holding-register FieldMap.
//
// One poll plans the reads (PlanRegisterReads), sends one 0x4510 request per block with a sequence byte of its
// own, and takes the 0x1510 reply whose byte 5 matches, skipping what loggers put in between: spontaneous
// heartbeats, other non-reply frames, stale replies to earlier requests, interim 0x0510 answers. The
// connection is kept between polls (loggers accept few clients; reconnecting every minute is wasteful); if
// the logger has dropped it, the poll reconnects once and repeats the read.
//
// Synchronous by design: PollOnce() blocks the calling thread for at most about (blocks + 1) x timeout, and
// runs I/O on the poller's own Asio io_context in the calling thread, so this header carries no Asio types and a
// scheduled job calls it like a function (PollAndReport below). A logger serves one request at a time anyway, so
// there is no concurrency within a logger to gain from an async interface.
//
// Thread-safety: PollOnce() from one thread at a time; Stop() from any thread, at any time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "ingest/solarman/field_map.hpp"
#include "ingest/solarman/payload.hpp"

namespace mh::collect {

using DataReport = ingest::solarman::DataReport;

inline constexpr std::uint16_t kSolarmanDefaultPort = 8899;
inline constexpr std::uint8_t kModbusDefaultSlave = 1;
// Loggers usually answer within a second or two; a read that takes this long means the logger is stuck or gone.
inline constexpr std::chrono::milliseconds kSolarmanDefaultTimeout{10'000};

struct PollerTarget {
    std::string host;  // the logger stick's IP address or host name
    std::uint16_t port = kSolarmanDefaultPort;
    std::uint32_t logger_serial = 0;           // the decimal serial printed on the stick
    std::uint8_t slave = kModbusDefaultSlave;  // Modbus address of the inverter behind the logger
    std::uint8_t function = 0x03;              // 0x03 holding registers (Deye), 0x04 input registers
    ingest::solarman::FieldMap map;            // a holding-register map, e.g. BuiltinFieldMap("deye_micro_modbus")
    std::chrono::milliseconds timeout = kSolarmanDefaultTimeout;  // per read: connect, or request to reply

    // Errc::kInvalidArgument unless host is set, port and serial are non-zero, the function is 0x03 or 0x04, the
    // timeout is positive and the map is a valid register map with at least one register to read.
    Status Validate() const;
};

// What a failed poll means for the user. The poller's errors carry one Errc per status, so callers can tell
// them apart without parsing messages (PollStatusOf).
enum class PollStatus {
    kOk,
    // Errc::kFailedPrecondition. The logger answered, the inverter did not (status `05 00`): micro and string
    // inverters power down at night with their panels. Expected every evening; not an alarm (unless it is
    // noon, or the slave id is wrong).
    kInverterAsleep,
    // Errc::kNotFound. The logger at host:port has another serial (status `06 00`); the message names the real
    // one so the user can fix the config.
    kWrongSerial,
    // Errc::kInvalidArgument. The inverter answered a read with a Modbus exception (illegal function or
    // address: the map or the function code does not fit the model).
    kRejected,
    // Errc::kUnavailable. No usable connection: the host does not resolve, the connection is refused, a read
    // timed out, the logger dropped the connection twice in one poll, or the poller was stopped.
    kUnreachable,
    // Errc::kDataLoss. Bytes that are not a valid reply: a broken frame, a bad CRC, the wrong register count.
    kBadReply,
    // Any other code: a bug (Errc::kInternal).
    kInternal,
};

const char* PollStatusName(PollStatus status) noexcept;  // "ok", "inverter_asleep", "wrong_serial", ...
PollStatus PollStatusOf(const Error& error) noexcept;

class SolarmanPoller {
  public:
    // The target must pass Validate() (checked by Create()).
    static Result<std::unique_ptr<SolarmanPoller>> Create(PollerTarget target);
    ~SolarmanPoller();
    SolarmanPoller(const SolarmanPoller&) = delete;
    SolarmanPoller& operator=(const SolarmanPoller&) = delete;

    // One poll: every planned block, decoded with the map (DecodeRegisters). Connects if there is no
    // connection. Errors as listed under PollStatus; messages start with "solarman poll <host>:<port>: ".
    Result<DataReport> PollOnce();

    // Ends the poll in progress promptly (it fails as kUnreachable, "stopped") and makes every later PollOnce()
    // fail at once. Idempotent.
    void Stop();
    bool stopped() const noexcept;

    const PollerTarget& target() const noexcept;
    // Connections opened so far (a test and diagnostics figure: it grows when the logger drops connections).
    std::uint64_t connects() const noexcept;

  private:
    struct Impl;
    explicit SolarmanPoller(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// ---- Scheduling ----------------------------------------------------------------------------------------------

struct PollCallbacks {
    // A successful poll; `received` is the injected clock's time when the poll completed (what the samples
    // are stamped with: register reads carry no device time).
    std::function<void(const DataReport& report, Timestamp received)> on_report;
    // A failed poll. Optional: when empty, failures are logged (kInverterAsleep at debug level, others as
    // warnings).
    std::function<void(const Error& error, PollStatus status, Timestamp when)> on_failure;
};

// One poll and its callbacks: what a scheduled job runs every interval. A poll cut short by poller.Stop() is not
// reported. Exceptions from the callbacks are logged, not thrown.
void PollAndReport(SolarmanPoller& poller, const Clock& clock, const PollCallbacks& callbacks);

}  // namespace mh::collect
