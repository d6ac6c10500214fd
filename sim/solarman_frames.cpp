// Simulated Solarman push loggers, the pure half: the payload encoder, the frame builder and the reply check. See
// the header for the contracts.
#include "sim/solarman_frames.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "ingest/solarman/payload.hpp"
#include "ingest/solarman/reply.hpp"

namespace mh::sim {

namespace sm = ingest::solarman;

// ---- Payload encoding -------------------------------------------------------------------------------------

namespace {

enum class ByteOrder { kLittle, kBig, kLowWordFirst };

struct WireFormat {
    std::size_t size;
    bool is_signed;
    ByteOrder order;
};

std::optional<WireFormat> NumericFormat(sm::ValueType type) noexcept {
    using enum sm::ValueType;
    switch (type) {
        case kU8: return WireFormat{1, false, ByteOrder::kLittle};
        case kU16Le: return WireFormat{2, false, ByteOrder::kLittle};
        case kS16Le: return WireFormat{2, true, ByteOrder::kLittle};
        case kU16Be: return WireFormat{2, false, ByteOrder::kBig};
        case kS16Be: return WireFormat{2, true, ByteOrder::kBig};
        case kU32Le: return WireFormat{4, false, ByteOrder::kLittle};
        case kS32Le: return WireFormat{4, true, ByteOrder::kLittle};
        case kU32Be: return WireFormat{4, false, ByteOrder::kBig};
        case kS32Be: return WireFormat{4, true, ByteOrder::kBig};
        case kU32LowWordFirst: return WireFormat{4, false, ByteOrder::kLowWordFirst};
        case kS32LowWordFirst: return WireFormat{4, true, ByteOrder::kLowWordFirst};
        default: return std::nullopt;
    }
}

void PutBits(std::uint32_t bits, const WireFormat& format, std::span<std::uint8_t> out) {
    const std::size_t n = format.size;
    for (std::size_t i = 0; i < n; ++i) {
        const auto byte = static_cast<std::uint8_t>(bits >> (8 * i));  // i-th least significant byte
        switch (format.order) {
            case ByteOrder::kLittle: out[i] = byte; break;
            case ByteOrder::kBig: out[n - 1 - i] = byte; break;
            // Two big-endian registers, the low one first: bytes 1 0 3 2.
            case ByteOrder::kLowWordFirst: out[i ^ 1] = byte; break;
        }
    }
}

Error FieldError(const sm::FieldSpec& field, const std::string& what) {
    return MakeError(Errc::kInvalidArgument, "solarman encode: field \"" + field.name + "\": " + what);
}

Status PutNumber(const sm::FieldSpec& field, double value, std::span<std::uint8_t> out) {
    const std::optional<WireFormat> format = NumericFormat(field.type);
    if (!format) return FieldError(field, "type " + std::string(sm::ValueTypeName(field.type)) + " has no encoder");
    const double raw = std::round((value - field.bias) / field.scale);
    const double bits = 8.0 * static_cast<double>(format->size);
    const double low = format->is_signed ? -std::exp2(bits - 1) : 0.0;
    const double high = format->is_signed ? std::exp2(bits - 1) - 1 : std::exp2(bits) - 1;
    if (!std::isfinite(raw) || raw < low || raw > high) {
        return FieldError(field,
                          fmt::format("value {} (raw {}) does not fit {}", value, raw, sm::ValueTypeName(field.type)));
    }
    PutBits(static_cast<std::uint32_t>(static_cast<std::int64_t>(raw)), *format, out);
    return Ok();
}

int HexValue(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

Status PutText(const sm::FieldSpec& field, std::string_view text, std::span<std::uint8_t> out) {
    switch (field.type) {
        case sm::ValueType::kAscii:
            if (text.size() > out.size())
                return FieldError(field, fmt::format("\"{}\" is longer than {}", text, out.size()));
            std::fill(out.begin(), out.end(), std::uint8_t{0});
            std::copy(text.begin(), text.end(), out.begin());
            return Ok();
        case sm::ValueType::kVersionNibbles: {
            // "V4.0.10" -> 0x4010, as DecodeFields prints it: V<n3>.<n2>.<n1><n0>.
            const int n3 = text.size() == 7 ? HexValue(text[1]) : -1;
            const int n2 = n3 >= 0 ? HexValue(text[3]) : -1;
            const int n1 = n2 >= 0 ? HexValue(text[5]) : -1;
            const int n0 = n1 >= 0 ? HexValue(text[6]) : -1;
            if (n0 < 0 || text[0] != 'V' || text[2] != '.' || text[4] != '.') {
                return FieldError(field, fmt::format("\"{}\" is not a version like V4.0.10", text));
            }
            PutBits(static_cast<std::uint32_t>((n3 << 12) | (n2 << 8) | (n1 << 4) | n0), {2, false, ByteOrder::kBig},
                    out);
            return Ok();
        }
        case sm::ValueType::kClockYmdhms: {
            unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
            const std::string copy(text);  // sscanf needs a terminated string
            char tail = 0;
            if (std::sscanf(copy.c_str(), "%4u-%2u-%2uT%2u:%2u:%2u%c", &year, &month, &day, &hour, &minute, &second,
                            &tail) != 6 ||
                year < 2000 || year > 2255) {
                return FieldError(field, fmt::format("\"{}\" is not a time like 2024-04-11T12:30:05", text));
            }
            const unsigned parts[] = {year - 2000, month, day, hour, minute, second};
            for (std::size_t i = 0; i < 6; ++i) out[i] = static_cast<std::uint8_t>(parts[i]);
            return Ok();
        }
        default: return FieldError(field, "type " + std::string(sm::ValueTypeName(field.type)) + " is not text");
    }
}

// "2024-04-11T12:30:05" for the device clock, which counts wall-clock seconds of whatever zone the server set.
std::string FormatDeviceClock(Timestamp t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd(day);
    const std::chrono::hh_mm_ss hms(std::chrono::floor<std::chrono::seconds>(t - day));
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                       hms.minutes().count(), hms.seconds().count());
}

}  // namespace

Status EncodeFields(const sm::FieldMap& map, const FieldValues& values, std::span<std::uint8_t> payload) {
    if (map.layout != sm::MapLayout::kPushPayload) {
        return MakeError(Errc::kInvalidArgument, "solarman encode: field map \"" + map.name + "\" is not a push map");
    }
    for (const sm::FieldSpec& field : map.fields) {
        if (field.type == sm::ValueType::kProduct) continue;
        const std::size_t size = sm::WireSize(field.type, field.length);
        if (field.offset > payload.size() || size > payload.size() - field.offset) {
            return FieldError(field, fmt::format("bytes {}..{} lie beyond the {}-byte payload", field.offset,
                                                 field.offset + size, payload.size()));
        }
        const std::span<std::uint8_t> out = payload.subspan(field.offset, size);
        if (sm::IsNumeric(field.type)) {
            const auto found = values.numbers.find(field.name);
            if (found != values.numbers.end()) MH_RETURN_IF_ERROR(PutNumber(field, found->second, out));
        } else {
            const auto found = values.texts.find(field.name);
            if (found != values.texts.end()) MH_RETURN_IF_ERROR(PutText(field, found->second, out));
        }
    }
    return Ok();
}

FieldValues ReadingFieldValues(PushLayout layout, const InverterReading& reading, Timestamp device_time) {
    const LayoutProfile& profile = ProfileOf(layout);
    FieldValues v;
    auto& n = v.numbers;
    n["power_ac"] = reading.power_ac_w;
    n["energy_today"] = reading.energy_today_kwh;
    n["energy_total"] = reading.energy_total_kwh;
    n["grid_voltage"] = reading.grid_voltage_v;
    n["grid_current"] = reading.grid_current_a;
    n["grid_frequency"] = reading.grid_frequency_hz;
    n["temperature"] = reading.temperature_c;
    for (std::size_t i = 0; i < reading.mppt.size(); ++i) {
        const MpptReading& m = reading.mppt[i];
        const std::string prefix = fmt::format("dc{}.", i + 1);
        n[prefix + "voltage"] = m.voltage_v;
        n[prefix + "current"] = m.current_a;
        n[prefix + "power"] = m.power_w;
        n[prefix + "energy_today"] = m.energy_today_kwh;
        n[prefix + "energy_total"] = m.energy_total_kwh;
    }
    // What the devices say about themselves (deye: synthetic fixture; 02B0: tsun's capture).
    n["rated_power"] = profile.rated_power_w;
    n["max_designed_power"] = profile.rated_power_w;
    n["mppt_count"] = static_cast<double>(profile.mppt_count);
    n["phase_count"] = 1;
    n["inverter_status"] = 1;  // 02B0: 1 = feeding in
    auto& t = v.texts;
    t["protocol_version"] = "V0.2.0.1";
    t["dc_firmware"] = "V0.1.1.1";
    t["ac_firmware"] = "V0.1.5.9";
    t["firmware_version"] = "V4.0.10";
    t["inverter_clock"] = FormatDeviceClock(device_time);
    return v;
}

// ---- Frames -----------------------------------------------------------------------------------------------

namespace {

constexpr std::size_t kHelloPayloadSize = 212;  // through the 40-byte SSID at 172, as in tsun's capture
constexpr std::size_t kInverterSerialSize = 16;
// Factory burn-in and shelf life before this logger's boot: the total working time never starts at zero.
constexpr std::uint32_t kWorkedBeforeBootS = 1'000'000;

// Writes little-endian fields at payload offsets; the payloads are sized for them, so a miss is a bug here.
class PayloadWriter {
  public:
    explicit PayloadWriter(std::vector<std::uint8_t>& bytes) : bytes_(bytes) {}
    void U8(std::size_t at, std::uint8_t v) { bytes_.at(at) = v; }
    void U16Le(std::size_t at, std::uint16_t v) { PutLe(at, v, 2); }
    void U32Le(std::size_t at, std::uint32_t v) { PutLe(at, v, 4); }
    void Ascii(std::size_t at, std::size_t size, std::string_view text) {
        for (std::size_t i = 0; i < size; ++i)
            bytes_.at(at + i) = i < text.size() ? static_cast<std::uint8_t>(text[i]) : 0;
    }

  private:
    void PutLe(std::size_t at, std::uint32_t v, std::size_t size) {
        for (std::size_t i = 0; i < size; ++i) bytes_.at(at + i) = static_cast<std::uint8_t>(v >> (8 * i));
    }
    std::vector<std::uint8_t>& bytes_;
};

std::uint32_t ClampSeconds(std::int64_t seconds) noexcept {
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(seconds, 0, std::numeric_limits<std::uint32_t>::max()));
}

std::int64_t UnixSeconds(Timestamp t) noexcept {
    return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}

}  // namespace

Result<LoggerFrames> LoggerFrames::Create(LoggerSettings settings) {
    if (settings.inverter_serial.size() > kInverterSerialSize) {
        return MakeError(Errc::kInvalidArgument,
                         "solarman sim: inverter serial \"" + settings.inverter_serial + "\" is longer than 16 bytes");
    }
    MH_ASSIGN_OR_RETURN(sm::FieldMap map, sm::BuiltinFieldMap(ProfileOf(settings.layout).map_name));
    return LoggerFrames(std::move(settings), std::move(map));
}

sm::Frame LoggerFrames::Next(sm::ControlCode control, std::vector<std::uint8_t> payload) {
    sm::Frame frame;
    frame.control = control;
    frame.server_sequence = server_sequence_;
    frame.logger_sequence = ++logger_sequence_;  // the first frame carries 1, as in tsun's hello (00 01)
    frame.logger_serial = settings_.logger_serial;
    frame.payload = std::move(payload);
    return frame;
}

std::uint32_t LoggerFrames::PowerOnSeconds(Timestamp now) const noexcept {
    return ClampSeconds(std::chrono::floor<std::chrono::seconds>(now - settings_.boot_time).count());
}

std::uint32_t LoggerFrames::TotalWorkingSeconds(Timestamp now) const noexcept {
    return ClampSeconds(std::int64_t{kWorkedBeforeBootS} + settings_.logger_serial % 1'000'000 + PowerOnSeconds(now));
}

sm::Frame LoggerFrames::Hello(Timestamp now) {
    const LayoutProfile& profile = ProfileOf(settings_.layout);
    const std::uint32_t serial = settings_.logger_serial;
    std::vector<std::uint8_t> payload(kHelloPayloadSize);
    PayloadWriter w(payload);
    w.U8(0, sm::kFrameTypeHandshake);
    w.U32Le(1, TotalWorkingSeconds(now));
    w.U32Le(5, PowerOnSeconds(now));
    w.U32Le(9, 0);
    w.U8(13, static_cast<std::uint8_t>(std::clamp<std::uint32_t>(settings_.upload_interval_s / 60, 1, 255)));
    w.U8(14, 60);  // collect interval: loggers poll the inverter every minute
    w.U8(15, static_cast<std::uint8_t>(std::clamp<std::uint32_t>(settings_.heartbeat_interval_s, 1, 255)));
    w.U8(16, 1);
    w.U8(17, static_cast<std::uint8_t>(70 + serial % 31));  // signal strength, %
    w.U8(18, 1);
    w.Ascii(19, 40, profile.logger_firmware);
    // MAC in the IGEN range of tsun's capture (40:2a:8f), the low three bytes from the serial; a private IP too.
    w.U8(59, 0x40);
    w.U8(60, 0x2a);
    w.U8(61, 0x8f);
    for (std::size_t i = 0; i < 3; ++i) w.U8(62 + i, static_cast<std::uint8_t>(serial >> (16 - 8 * i)));
    w.Ascii(65, 16, fmt::format("10.{}.{}.{}", (serial >> 16) & 0xFF, (serial >> 8) & 0xFF, 1 + serial % 254));
    w.U16Le(84, profile.hello_sensor_type);
    w.Ascii(89, 40, profile.collector_firmware);
    w.Ascii(172, 40, "meterhub-sim");
    return Next(sm::ControlCode::kHello, std::move(payload));
}

sm::Frame LoggerFrames::Heartbeat() {
    return Next(sm::ControlCode::kHeartbeat, {sm::kFrameTypeKeepAlive});
}

Result<sm::Frame> LoggerFrames::Data(const InverterReading& reading, Timestamp device_time, bool historic) {
    const LayoutProfile& profile = ProfileOf(settings_.layout);
    std::vector<std::uint8_t> payload(profile.payload_size);
    // The logger's clock is total working time + offset time (docs/protocols/solarman-v5.md, "Data payload").
    const std::uint32_t clock_s = ClampSeconds(UnixSeconds(device_time));
    const std::uint32_t worked_s = std::min(TotalWorkingSeconds(device_time), clock_s);
    PayloadWriter w(payload);
    w.U8(0, historic ? sm::kFrameTypeRealTime | sm::kFrameTypeHistoricBit : sm::kFrameTypeRealTime);
    w.U16Le(1, profile.data_sensor_type);
    w.U32Le(3, worked_s);
    w.U32Le(7, PowerOnSeconds(device_time));
    w.U32Le(11, clock_s - worked_s);
    w.U16Le(15, 1);  // unknown; 1 in tsun's capture
    w.U32Le(17, ++packet_counter_);
    w.Ascii(21, kInverterSerialSize, settings_.inverter_serial);
    MH_RETURN_IF_ERROR(EncodeFields(map_, ReadingFieldValues(settings_.layout, reading, device_time), payload));
    return Next(sm::ControlCode::kData, std::move(payload));
}

// ---- Reply check ------------------------------------------------------------------------------------------

Result<sm::Frame> CheckReply(const sm::Frame& request, std::span<const std::uint8_t> reply_bytes, Timestamp now,
                             const ReplyCheck& check) {
    const auto bad = [](const std::string& what) { return MakeError(Errc::kInvalidArgument, "bad reply: " + what); };
    MH_ASSIGN_OR_RETURN(sm::Frame reply, sm::DecodeFrame(reply_bytes));
    const auto want_type = static_cast<std::uint8_t>(sm::MessageType(request.control) - sm::kReplyTypeOffset);
    const auto want_control = static_cast<sm::ControlCode>((want_type << 8) | sm::kControlLowByte);
    if (reply.control != want_control) {
        return bad(fmt::format("control code {}, want {} for a {}", sm::FormatControlCode(reply.control),
                               sm::FormatControlCode(want_control), sm::ControlCodeName(request.control)));
    }
    const auto want_a = static_cast<std::uint8_t>(request.server_sequence + 1);
    if (reply.server_sequence != want_a || reply.logger_sequence != request.logger_sequence) {
        return bad(fmt::format("sequence bytes {:02X} {:02X}, want {:02X} {:02X}", reply.server_sequence,
                               reply.logger_sequence, want_a, request.logger_sequence));
    }
    if (reply.logger_serial != request.logger_serial) {
        return bad(fmt::format("logger serial {}, want {}", reply.logger_serial, request.logger_serial));
    }
    if (reply.payload.size() != sm::kReplyPayloadSize) {
        return bad(fmt::format("payload of {} bytes, want {}", reply.payload.size(), sm::kReplyPayloadSize));
    }
    const std::uint8_t frame_type = request.payload.empty() ? 0 : request.payload[0];
    if (reply.payload[0] != frame_type) {
        return bad(fmt::format("frame type {:02X}, want {:02X}", reply.payload[0], frame_type));
    }
    if (reply.payload[1] != sm::kReplyStatusAccepted) {
        return bad(fmt::format("status {:02X}, want {:02X} (accepted)", reply.payload[1], sm::kReplyStatusAccepted));
    }
    std::int64_t time_s = 0;
    for (std::size_t i = 0; i < 4; ++i) time_s |= std::int64_t{reply.payload[2 + i]} << (8 * i);
    const std::int64_t utc_s = UnixSeconds(now);
    const std::int64_t local_s = utc_s + check.zone.OffsetAt(now).count();
    const std::int64_t tolerance = check.time_tolerance.count();
    if (std::abs(time_s - utc_s) > tolerance && std::abs(time_s - local_s) > tolerance) {
        return bad(fmt::format("time {} is {} s from now in UTC ({}) and {} s from local time in {}", time_s,
                               time_s - utc_s, utc_s, time_s - local_s, check.zone.name()));
    }
    return reply;
}

}  // namespace mh::sim
