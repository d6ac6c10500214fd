// Simulated Solarman V5 logger sticks in push ("server") mode: what a Deye or TSUN micro inverter's logger sends
// to the server its "Server A" setting points at (docs/protocols/solarman-v5.md), for the demo, the collector's
// tests and the ingest benchmark.
//
// Two halves:
//   * a pure frame builder (no sockets, no clock reads): LoggerFrames builds hello, heartbeat and data frames for
//     one logger; the data payload is written by EncodeFields, which walks the same built-in FieldMap the server
//     decodes with, so the two cannot disagree on an offset; CheckReply judges the server's acknowledgement;
//   * a client, RunSolarmanPushers, that keeps N simulated loggers connected to a server over TCP (Boost.Asio
//     coroutines, implementation only: this header includes no Asio) and checks every reply.
//
// Thread-safety: LoggerFrames and SimulatedInverter are plain values, one per logger, not shared. PusherStats is
// atomics, readable from any thread while RunSolarmanPushers runs.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "core/time_zone.hpp"
#include "ingest/solarman/field_map.hpp"
#include "ingest/solarman/frame.hpp"
#include "sim/solar.hpp"

namespace mh::sim {

// ---- What a simulated inverter reports ---------------------------------------------------------------------

// The push layouts a simulated logger can speak; each is one built-in map of src/ingest/solarman.
enum class PushLayout {
    kDeyeMicro,   // "deye_micro": sensor type 0x5408, map deye_micro_push, 2 inputs, 251-byte payload
    kSensor02B0,  // "sensor_02b0": sensor type 0x02B0 (TSUN TSOL-MS), map sensor_02b0_push, 4 inputs, 409 bytes
};

std::string_view PushLayoutName(PushLayout layout) noexcept;
std::optional<PushLayout> ParsePushLayout(std::string_view name) noexcept;

// The fixed facts of a layout: what the real devices send that is not a measurement.
struct LayoutProfile {
    std::string_view map_name;            // built-in FieldMap the server decodes the data payload with
    std::uint16_t data_sensor_type;       // data payload bytes 1..2
    std::uint16_t hello_sensor_type;      // hello payload 84..85; 0: the server reads it from the firmware name
    std::string_view logger_firmware;     // hello payload 19, e.g. "MW3_16U_5406_1.57"
    std::string_view collector_firmware;  // hello payload 89
    std::uint32_t payload_size;           // data payload bytes (what the devices send, not what the map needs)
    std::size_t mppt_count;               // DC inputs with panels
    double rated_power_w;
};
const LayoutProfile& ProfileOf(PushLayout layout) noexcept;

struct MpptReading {
    double voltage_v = 0.0;
    double current_a = 0.0;
    double power_w = 0.0;  // deye_micro does not carry it: the server computes voltage * current
    double energy_today_kwh = 0.0;
    double energy_total_kwh = 0.0;
};

// One set of measurements, in the units the field maps report. Inputs beyond `mppt` are sent as zeros.
struct InverterReading {
    double power_ac_w = 0.0;
    double energy_today_kwh = 0.0;
    double energy_total_kwh = 0.0;  // both maps treat a raw 0 as "no reading"
    double grid_voltage_v = 230.0;
    double grid_current_a = 0.0;
    double grid_frequency_hz = 50.0;
    double temperature_c = 20.0;
    std::array<MpptReading, 4> mppt{};
};

// A logger's inverter over time: AC power from SolarInverter's daylight curve, split over the layout's inputs,
// grid values with a little noise, energy counters integrated from the power (today's resets at local
// midnight in `zone`). Readings must be asked for in time order; an earlier time does not integrate.
class SimulatedInverter {
  public:
    // `seed` varies the peak power (80..100 % of the layout's rating), the noise and the starting total.
    SimulatedInverter(PushLayout layout, std::uint64_t seed);
    InverterReading ReadingAt(Timestamp t, const TimeZone& zone);

  private:
    const LayoutProfile& profile_;
    SolarInverter solar_;
    std::mt19937_64 random_;
    std::optional<Timestamp> last_;
    double energy_today_kwh_ = 0.0;
    double energy_total_kwh_;
    std::array<double, 4> dc_today_kwh_{};
    std::array<double, 4> dc_total_kwh_{};
};

// ---- Payload encoding: the inverse of DecodeFields ------------------------------------------------------------

// Values by field name: numbers for numeric fields (gauge, counter and numeric info), text for the text types
// in the form DecodeFields reports them ("V4.0.10", "2024-04-11T12:30:05").
struct FieldValues {
    std::map<std::string, double, std::less<>> numbers;
    std::map<std::string, std::string, std::less<>> texts;
};

// Writes every field of push map `map` that `values` names into `payload` (offsets are payload bytes), as
// raw = round((value - bias) / scale) in the field's wire type, so that DecodeFields reads back the value
// within half a scale step. Fields without a value and products (the decoder derives them) are left alone.
// Errors (Errc::kInvalidArgument): a register map, a field beyond the payload, a value that does not fit its
// wire type, text that does not parse or fit.
Status EncodeFields(const ingest::solarman::FieldMap& map, const FieldValues& values, std::span<std::uint8_t> payload);

// The field values of `reading` under the names the built-in push maps use, plus the layout's info fields
// (firmware, rating, input count) and the inverter clock from `device_time`.
FieldValues ReadingFieldValues(PushLayout layout, const InverterReading& reading, Timestamp device_time);

// ---- Frames of one logger ---------------------------------------------------------------------------------

struct LoggerSettings {
    std::uint32_t logger_serial = 0;
    std::string inverter_serial;  // at most 16 ASCII bytes
    PushLayout layout = PushLayout::kDeyeMicro;
    Timestamp boot_time;  // power-on time fields count from here
    // Announced in the hello; the server may use them to judge when a logger is overdue.
    std::uint32_t upload_interval_s = 300;
    std::uint32_t heartbeat_interval_s = 60;
};

// Builds one logger's frames, keeping its sequence bytes: byte 6 counts every frame built, byte 5 repeats the
// byte 5 of the server's last acknowledgement (Acknowledged()), as real loggers do.
class LoggerFrames {
  public:
    // Fails if the inverter serial is longer than 16 bytes or the layout's map cannot be loaded.
    static Result<LoggerFrames> Create(LoggerSettings settings);

    // 0x4110: frame type 0x02, working and power-on times at `now`, intervals, firmware, MAC, IP, SSID.
    ingest::solarman::Frame Hello(Timestamp now);
    // 0x4710 with payload 00.
    ingest::solarman::Frame Heartbeat();
    // 0x4210 frame type 0x01 (0x81 if `historic`): the push header with the logger clock at `device_time`
    // (total working time + offset time) and the next packet counter, then `reading` encoded through the
    // layout's field map. Fails only if a value does not fit its wire type.
    Result<ingest::solarman::Frame> Data(const InverterReading& reading, Timestamp device_time, bool historic = false);
    // Records the server's acknowledgement (reply byte 5), which the next frames carry in their byte 5.
    void Acknowledged(const ingest::solarman::Frame& reply) noexcept { server_sequence_ = reply.server_sequence; }

    const LoggerSettings& settings() const noexcept { return settings_; }
    const ingest::solarman::FieldMap& map() const noexcept { return map_; }

  private:
    LoggerFrames(LoggerSettings settings, ingest::solarman::FieldMap map)
        : settings_(std::move(settings)), map_(std::move(map)) {}
    ingest::solarman::Frame Next(ingest::solarman::ControlCode control, std::vector<std::uint8_t> payload);
    std::uint32_t PowerOnSeconds(Timestamp now) const noexcept;
    std::uint32_t TotalWorkingSeconds(Timestamp now) const noexcept;

    LoggerSettings settings_;
    ingest::solarman::FieldMap map_;
    std::uint8_t server_sequence_ = 0;
    std::uint8_t logger_sequence_ = 0;
    std::uint32_t packet_counter_ = 0;
};

// ---- The server's reply -----------------------------------------------------------------------------------

struct ReplyCheck {
    // The reply's time (Unix seconds) must lie this close to `now` in UTC or to the local wall time in `zone`:
    // which of the two a server sends is its policy (docs/protocols/solarman-v5.md, "Server reply").
    std::chrono::seconds time_tolerance{120};
    TimeZone zone = TimeZone::Utc();
};

// Decodes and checks the server's acknowledgement of `request`: one valid frame; control = request type - 0x30
// with low byte 0x10; byte 5 = request byte 5 + 1; byte 6 and the serial echoed; a 10-byte payload with the
// request's frame type, status 0x01 and a time near `now`. Returns the reply, or an error (kInvalidArgument)
// naming the first thing wrong.
Result<ingest::solarman::Frame> CheckReply(const ingest::solarman::Frame& request,
                                           std::span<const std::uint8_t> reply_bytes, Timestamp now,
                                           const ReplyCheck& check);

// ---- The client -------------------------------------------------------------------------------------------

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
