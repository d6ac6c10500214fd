// Simulated Solarman loggers: layouts and readings, the payload encoder, the frame builder, the reply check and
// the TCP client. See the header for the contracts.
#include "sim/solarman_pusher.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
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
#include <cmath>
#include <cstdio>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "ingest/solarman/framer.hpp"
#include "ingest/solarman/payload.hpp"
#include "ingest/solarman/reply.hpp"

namespace mh::sim {

namespace sm = ingest::solarman;

// ---- Layouts and readings ---------------------------------------------------------------------------------

namespace {

// Deye SUN-M80G3 class micro inverter behind an MW3 logger. The hello carries no sensor type: the server reads
// 0x5406 from the firmware name, while data frames say 0x5408 ("schema" byte 0x08: micro inverter).
constexpr LayoutProfile kDeyeMicroProfile{
    .map_name = "deye_micro_push",
    .data_sensor_type = 0x5408,
    .hello_sensor_type = 0x0000,
    .logger_firmware = "MW3_16U_5406_1.57",
    .collector_firmware = "V1.1.00.07",
    .payload_size = 251,
    .mppt_count = 2,
    .rated_power_w = 800.0,
};
// TSUN TSOL-MS2000 behind an LSW5 logger; 409 payload bytes as in tsun-gen3-proxy's capture (the map reads 285).
constexpr LayoutProfile kSensor02B0Profile{
    .map_name = "sensor_02b0_push",
    .data_sensor_type = 0x02B0,
    .hello_sensor_type = 0x02B0,
    .logger_firmware = "LSW5BLE_17_02B0_1.05",
    .collector_firmware = "V1.1.00.0B",
    .payload_size = 409,
    .mppt_count = 4,
    .rated_power_w = 2000.0,
};

// How the DC power divides over the inputs (panels differ in orientation and shading).
constexpr std::array<double, 4> kInputShares = {0.30, 0.27, 0.24, 0.19};

// Input i's part of the DC power and energy, among the inputs the layout uses.
double InputShare(const LayoutProfile& profile, std::size_t i) {
    double sum = 0.0;
    for (std::size_t k = 0; k < profile.mppt_count; ++k) sum += kInputShares[k];
    return kInputShares[i] / sum;
}

// Installations differ: the peak reaches 80..100 % of the rating.
double PeakPower(const LayoutProfile& profile, std::uint64_t seed) {
    std::mt19937_64 random(seed ^ 0x9E3779B97F4A7C15ULL);
    return profile.rated_power_w * std::uniform_real_distribution<double>(0.8, 1.0)(random);
}

}  // namespace

std::string_view PushLayoutName(PushLayout layout) noexcept {
    switch (layout) {
        case PushLayout::kDeyeMicro: return "deye_micro";
        case PushLayout::kSensor02B0: return "sensor_02b0";
    }
    return "unknown";
}

std::optional<PushLayout> ParsePushLayout(std::string_view name) noexcept {
    if (name == "deye_micro") return PushLayout::kDeyeMicro;
    if (name == "sensor_02b0") return PushLayout::kSensor02B0;
    return std::nullopt;
}

const LayoutProfile& ProfileOf(PushLayout layout) noexcept {
    return layout == PushLayout::kSensor02B0 ? kSensor02B0Profile : kDeyeMicroProfile;
}

SimulatedInverter::SimulatedInverter(PushLayout layout, std::uint64_t seed)
    : profile_(ProfileOf(layout)), solar_(PeakPower(profile_, seed), seed), random_(seed) {
    // A few months of yield already behind it, divided over the inputs like the power.
    energy_total_kwh_ = std::uniform_real_distribution<double>(100.0, 1000.0)(random_);
    for (std::size_t i = 0; i < profile_.mppt_count; ++i)
        dc_total_kwh_[i] = energy_total_kwh_ * InputShare(profile_, i);
}

InverterReading SimulatedInverter::ReadingAt(Timestamp t, const TimeZone& zone) {
    const double power = solar_.PowerAt(t, zone);
    if (last_ && t > *last_) {
        if (zone.LocalDay(t) != zone.LocalDay(*last_)) {
            energy_today_kwh_ = 0.0;
            dc_today_kwh_ = {};
        }
        // The rectangle rule over the interval is as good as a real inverter's own integration at 5 minutes.
        const double hours = std::chrono::duration<double, std::ratio<3600>>(t - *last_).count();
        const double kwh = power * hours / 1000.0;
        energy_today_kwh_ += kwh;
        energy_total_kwh_ += kwh;
        for (std::size_t i = 0; i < profile_.mppt_count; ++i) {
            dc_today_kwh_[i] += kwh * InputShare(profile_, i);
            dc_total_kwh_[i] += kwh * InputShare(profile_, i);
        }
    }
    if (!last_ || t > *last_) last_ = t;

    std::normal_distribution<double> noise(0.0, 1.0);
    InverterReading r;
    r.power_ac_w = power;
    r.energy_today_kwh = energy_today_kwh_;
    r.energy_total_kwh = energy_total_kwh_;
    r.grid_voltage_v = 230.0 + 1.5 * noise(random_);
    r.grid_frequency_hz = 50.0 + 0.02 * noise(random_);
    r.grid_current_a = power / r.grid_voltage_v;
    r.temperature_c = 15.0 + 35.0 * power / profile_.rated_power_w + 0.5 * noise(random_);
    const double dc_power = power / 0.95;  // conversion losses
    for (std::size_t i = 0; i < profile_.mppt_count; ++i) {
        MpptReading& m = r.mppt[i];
        m.power_w = dc_power * InputShare(profile_, i);
        if (m.power_w > 0.0) {
            // A 400 W panel sits near its MPP voltage (~31 V) from low light up, a little higher in full sun.
            m.voltage_v = 30.0 + 6.0 * std::min(1.0, m.power_w / 400.0) + 0.3 * noise(random_);
            m.current_a = m.power_w / m.voltage_v;
        }
        m.energy_today_kwh = dc_today_kwh_[i];
        m.energy_total_kwh = dc_total_kwh_[i];
    }
    return r;
}

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
