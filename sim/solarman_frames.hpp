// The pure half of a simulated Solarman V5 logger in push ("server") mode (docs/protocols/solarman-v5.md): no
// sockets, no clock reads. LoggerFrames builds hello, heartbeat and data frames for one logger; the data payload is
// written by EncodeFields, which walks the same built-in FieldMap the server decodes with, so the two cannot
// disagree on an offset; CheckReply judges the server's acknowledgement. The readings come from
// sim/solarman_inverter.hpp; sim/solarman_pusher.hpp sends the frames over TCP.
//
// Thread-safety: LoggerFrames is a plain value, one per logger, not shared.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "core/time_zone.hpp"
#include "ingest/solarman/field_map.hpp"
#include "ingest/solarman/frame.hpp"
#include "sim/solarman_inverter.hpp"

namespace mh::sim {

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

}  // namespace mh::sim
