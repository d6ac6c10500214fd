// SolarmanLogger: a pull-mode Solarman V5 logger stick on a TCP port, for tests, the demo and
// `meterhub sim solarman --listen`. It answers 0x4510 Modbus reads from a register image with 0x1510 replies
// (correct CRCs) and can be told to misbehave the ways real loggers do (LoggerQuirks), so the poller is tested
// against every quirk over real sockets (docs/protocols/solarman-v5.md, "Pull mode").
//
// Like a real logger it answers a request naming another logger serial with the `06 00` status (its own
// serial in the header), and a request to another Modbus slave with `05 00` (no inverter answer).
//
// The register image can come from EncodeRegisters (values by field name through a FieldMap) or
// SimulatedRegisters (plausible readings of a solar inverter at a given time), both in sim/solarman_registers.hpp,
// which this header includes.
//
// Thread-safety: every member function may be called from any thread. The server runs on one internal I/O
// thread from Start() until Stop() (or destruction).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time_zone.hpp"
#include "ingest/solarman/field_map.hpp"
#include "sim/solarman_registers.hpp"

namespace mh::sim {

// Misbehaviours of real loggers; each applies to every request while set.
struct LoggerQuirks {
    bool wrong_serial = false;     // answer status `06 00` even when the request names this logger's serial
    bool inverter_asleep = false;  // answer status `05 00`: the inverter does not answer (night)
    bool double_crc = false;       // append two spurious bytes `00 00` after the RTU CRC (DEYE loggers)
    bool heartbeat_first = false;  // send a spontaneous 0x4710 heartbeat, carrying the request's byte 5, first
    bool stale_first = false;      // send a reply with the previous sequence byte and wrong values first
    bool interim_first = false;    // send a 0x0510 interim answer first
    bool silent = false;           // read requests, never answer (client timeouts)
    bool trickle = false;          // write answers one byte per write (clients must reassemble frames)
    // Per connection: answer this many requests, then close the connection when the next arrives (loggers
    // reset connections). 0: never.
    int drop_after = 0;
    std::optional<std::uint8_t> exception_code;  // answer reads with this Modbus exception (e.g. 0x02)
};

struct LoggerOptions {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;  // 0: a free port (see port())
    std::uint32_t logger_serial = 0;
    std::uint8_t slave = 1;  // the inverter's Modbus address; requests to another get status `05 00`
    RegisterImage registers;
    LoggerQuirks quirks;
};

class SolarmanLogger {
  public:
    // Listens and starts the I/O thread. Errc::kInvalidArgument for a bad address, kUnavailable if the port
    // cannot be bound.
    static Result<std::unique_ptr<SolarmanLogger>> Start(LoggerOptions options);
    ~SolarmanLogger();  // Stop()
    SolarmanLogger(const SolarmanLogger&) = delete;
    SolarmanLogger& operator=(const SolarmanLogger&) = delete;

    // Closes the listener and every connection and joins the I/O thread. Idempotent.
    void Stop();

    std::uint16_t port() const noexcept;
    std::uint32_t logger_serial() const noexcept;

    // Take effect from the next request.
    void SetRegisters(RegisterImage registers);
    void SetQuirks(LoggerQuirks quirks);

    // Closes every open client connection (as a logger does with idle clients) and returns once they are closed.
    void DropConnections();

    std::uint64_t requests() const noexcept;     // 0x4510 frames received so far
    std::uint64_t connections() const noexcept;  // connections accepted so far
    std::size_t open_connections() const noexcept;

  private:
    struct Impl;
    explicit SolarmanLogger(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace mh::sim
