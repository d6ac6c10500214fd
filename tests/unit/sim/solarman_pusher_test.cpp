#include "sim/solarman_pusher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cmath>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ingest/solarman/framer.hpp"
#include "ingest/solarman/logger_info.hpp"
#include "ingest/solarman/payload.hpp"
#include "ingest/solarman/reply.hpp"

namespace mh::sim {
namespace {

namespace sm = ingest::solarman;
using namespace std::chrono_literals;

// 2024-06-01T10:00:00Z: daylight in Europe, so the solar curve gives power.
const Timestamp kNoon = FromMillis(1'717'236'000'000);

InverterReading SampleReading() {
    InverterReading r;
    r.power_ac_w = 612.0;
    r.energy_today_kwh = 2.37;
    r.energy_total_kwh = 456.7;
    r.grid_voltage_v = 231.4;
    r.grid_current_a = 2.6;
    r.grid_frequency_hz = 49.98;
    r.temperature_c = 38.21;
    r.mppt[0] = {34.5, 8.7, 300.2, 1.2, 230.4};
    r.mppt[1] = {35.2, 8.2, 288.6, 1.1, 228.3};
    r.mppt[2] = {33.9, 1.5, 50.8, 0.3, 40.1};
    r.mppt[3] = {1.7, 0.01, 0.0, 0.0, 15.58};
    return r;
}

LoggerFrames MakeFrames(PushLayout layout, std::uint32_t serial = 4'142'050'081) {
    LoggerSettings settings;
    settings.logger_serial = serial;
    settings.inverter_serial = layout == PushLayout::kDeyeMicro ? "2306114210" : "Y17E7A0F010B013E";
    settings.layout = layout;
    settings.boot_time = kNoon - 1h;
    settings.upload_interval_s = 300;
    settings.heartbeat_interval_s = 120;
    auto frames = LoggerFrames::Create(settings);
    if (!frames) throw std::runtime_error(frames.error().message);
    return *std::move(frames);
}

sm::Frame RoundTrip(const sm::Frame& frame) {
    auto decoded = sm::DecodeFrame(sm::EncodeFrame(frame));
    if (!decoded) throw std::runtime_error(decoded.error().message);
    EXPECT_EQ(*decoded, frame);
    return *std::move(decoded);
}

// ---- Frame builder --------------------------------------------------------------------------------------

TEST(PushLayouts, NamesRoundTrip) {
    for (const PushLayout layout : {PushLayout::kDeyeMicro, PushLayout::kSensor02B0}) {
        EXPECT_EQ(ParsePushLayout(PushLayoutName(layout)), layout);
    }
    EXPECT_EQ(ParsePushLayout("sofar"), std::nullopt);
}

TEST(LoggerFrames, HelloDecodesToTheLoggersIdentity) {
    for (const PushLayout layout : {PushLayout::kDeyeMicro, PushLayout::kSensor02B0}) {
        SCOPED_TRACE(PushLayoutName(layout));
        LoggerFrames frames = MakeFrames(layout);
        const sm::Frame hello = RoundTrip(frames.Hello(kNoon));
        EXPECT_EQ(hello.control, sm::ControlCode::kHello);
        EXPECT_EQ(hello.server_sequence, 0x00);  // as tsun's hello: 00 01
        EXPECT_EQ(hello.logger_sequence, 0x01);
        EXPECT_EQ(hello.logger_serial, 4'142'050'081u);
        const auto info = sm::DecodeLoggerInfo(hello.payload);
        ASSERT_TRUE(info) << info.error().message;
        EXPECT_EQ(info->frame_type, sm::kFrameTypeHandshake);
        EXPECT_EQ(info->power_on_time_s, 3600u);
        EXPECT_GT(info->total_working_time_s, 3600u);
        EXPECT_EQ(info->upload_interval_s, 300u);
        EXPECT_EQ(info->collect_interval_s, 60u);
        EXPECT_EQ(info->heartbeat_interval_s, 120u);
        EXPECT_EQ(info->logger_firmware, ProfileOf(layout).logger_firmware);
        EXPECT_EQ(info->collector_firmware, ProfileOf(layout).collector_firmware);
        EXPECT_EQ(info->ssid, "meterhub-sim");
        EXPECT_EQ(info->mac.substr(0, 9), "40:2a:8f:");
        EXPECT_FALSE(info->ip.empty());
        // Deye's hello names no sensor type: it comes from "MW3_16U_5406_1.57". TSUN's says 0x02B0.
        EXPECT_EQ(info->sensor_type, layout == PushLayout::kDeyeMicro ? 0x5406 : 0x02B0);
    }
}

TEST(LoggerFrames, HeartbeatIsA4710WithPayload00) {
    LoggerFrames frames = MakeFrames(PushLayout::kDeyeMicro);
    const sm::Frame heartbeat = RoundTrip(frames.Heartbeat());
    EXPECT_EQ(heartbeat.control, sm::ControlCode::kHeartbeat);
    EXPECT_EQ(heartbeat.payload, std::vector<std::uint8_t>{0x00});
    EXPECT_EQ(sm::EncodeFrame(heartbeat).size(), sm::kMinFrameSize + 1);
}

TEST(LoggerFrames, SequenceBytesCountFramesAndRepeatTheServersLastAcknowledgement) {
    LoggerFrames frames = MakeFrames(PushLayout::kDeyeMicro);
    const sm::Frame hello = frames.Hello(kNoon);
    const auto reply = sm::BuildReply(hello, kNoon);
    ASSERT_TRUE(reply);
    frames.Acknowledged(*reply);
    const sm::Frame heartbeat = frames.Heartbeat();
    const auto data = frames.Data(SampleReading(), kNoon);
    ASSERT_TRUE(data) << data.error().message;
    EXPECT_EQ(hello.logger_sequence, 1);
    EXPECT_EQ(heartbeat.logger_sequence, 2);
    EXPECT_EQ(data->logger_sequence, 3);
    EXPECT_EQ(heartbeat.server_sequence, reply->server_sequence);
    EXPECT_EQ(data->server_sequence, 0x01);
}

TEST(LoggerFrames, EveryFieldOfTheBuiltinMapsHasASimulatedValue) {
    for (const PushLayout layout : {PushLayout::kDeyeMicro, PushLayout::kSensor02B0}) {
        const auto map = sm::BuiltinFieldMap(ProfileOf(layout).map_name);
        ASSERT_TRUE(map);
        const FieldValues values = ReadingFieldValues(layout, SampleReading(), kNoon);
        for (const sm::FieldSpec& field : map->fields) {
            if (field.type == sm::ValueType::kProduct) continue;
            EXPECT_TRUE(values.numbers.contains(field.name) || values.texts.contains(field.name))
                << map->name << ": " << field.name;
        }
    }
}

// Builds a data frame, sends it through the V5 codec and the server's field map, and expects every value back
// within half a step of the field's scale.
void ExpectDataRoundTrip(PushLayout layout, bool historic) {
    SCOPED_TRACE(std::string(PushLayoutName(layout)) + (historic ? " historic" : " real time"));
    LoggerFrames frames = MakeFrames(layout);
    const InverterReading reading = SampleReading();
    const Timestamp device_time = kNoon + 2h + 345ms;  // a logger clock set to local time, say
    const auto built = frames.Data(reading, device_time, historic);
    ASSERT_TRUE(built) << built.error().message;
    const sm::Frame frame = RoundTrip(*built);
    EXPECT_EQ(frame.control, sm::ControlCode::kData);
    EXPECT_EQ(frame.payload.size(), ProfileOf(layout).payload_size);

    const auto header = sm::DecodePushHeader(frame.payload);
    ASSERT_TRUE(header);
    const auto map_name = sm::BuiltinPushMapFor(header->sensor_type);
    ASSERT_TRUE(map_name);
    EXPECT_EQ(*map_name, ProfileOf(layout).map_name);
    const auto map = sm::BuiltinFieldMap(*map_name);
    ASSERT_TRUE(map);
    const auto report = sm::DecodeDataPayload(frame.payload, *map);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->historic, historic);
    EXPECT_EQ(report->header->frame_type, historic ? 0x81 : 0x01);
    EXPECT_EQ(report->header->packet_counter, 1u);
    EXPECT_EQ(report->header->power_on_time_s, 3 * 3600u);
    EXPECT_EQ(report->inverter_serial, layout == PushLayout::kDeyeMicro ? "2306114210" : "Y17E7A0F010B013E");
    EXPECT_EQ(report->device_time_ms, ToMillis(kNoon + 2h));  // whole seconds of the logger clock
    EXPECT_TRUE(report->skipped.empty()) << report->skipped.front();

    const FieldValues sent = ReadingFieldValues(layout, reading, device_time);
    std::set<std::string> seen;
    for (const sm::FieldSpec& field : map->fields) {
        double got = 0.0;
        if (const sm::DecodedSample* sample = report->FindSample(field.name)) {
            got = sample->value;
        } else if (const std::string* text = report->FindAttribute(field.name)) {
            if (!sm::IsNumeric(field.type)) {
                EXPECT_EQ(*text, sent.texts.at(field.name)) << field.name;
                continue;
            }
            got = std::stod(*text);
        } else {
            ADD_FAILURE() << field.name << " is missing from the report";
            continue;
        }
        seen.insert(field.name);
        if (field.type == sm::ValueType::kProduct) {
            // dcN.power = V * I as decoded: each factor within 0.05, so the product within 0.05 * (V + I) + 0.01.
            const double v = sent.numbers.at(field.product_of[0]);
            const double i = sent.numbers.at(field.product_of[1]);
            EXPECT_NEAR(got, v * i, 0.05 * (v + i) + 0.01) << field.name;
            continue;
        }
        EXPECT_NEAR(got, sent.numbers.at(field.name), std::fabs(field.scale) / 2 + 1e-9) << field.name;
    }
    EXPECT_EQ(seen.count("power_ac"), 1u);
    EXPECT_EQ(seen.count("energy_total"), 1u);
    EXPECT_EQ(seen.count("dc2.current"), 1u);
}

TEST(LoggerFrames, DeyeMicroDataReadsBackThroughTheBuiltinMap) {
    ExpectDataRoundTrip(PushLayout::kDeyeMicro, /*historic=*/false);
}
TEST(LoggerFrames, DeyeMicroHistoricDataReadsBackThroughTheBuiltinMap) {
    ExpectDataRoundTrip(PushLayout::kDeyeMicro, /*historic=*/true);
}
TEST(LoggerFrames, Sensor02B0DataReadsBackThroughTheBuiltinMap) {
    ExpectDataRoundTrip(PushLayout::kSensor02B0, /*historic=*/false);
}
TEST(LoggerFrames, Sensor02B0HistoricDataReadsBackThroughTheBuiltinMap) {
    ExpectDataRoundTrip(PushLayout::kSensor02B0, /*historic=*/true);
}

TEST(LoggerFrames, InverterClockAndPacketCounter) {
    LoggerFrames frames = MakeFrames(PushLayout::kDeyeMicro);
    const auto map = sm::BuiltinFieldMap("deye_micro_push");
    ASSERT_TRUE(map);
    for (std::uint32_t n = 1; n <= 3; ++n) {
        const auto frame = frames.Data(SampleReading(), FromMillis(1'712'838'605'000));  // 2024-04-11T12:30:05Z
        ASSERT_TRUE(frame);
        const auto report = sm::DecodeDataPayload(frame->payload, *map);
        ASSERT_TRUE(report);
        EXPECT_EQ(report->header->packet_counter, n);
        EXPECT_EQ(*report->FindAttribute("inverter_clock"), "2024-04-11T12:30:05");
    }
}

TEST(EncodeFields, RefusesWhatTheWireCannotCarry) {
    const auto tsun = sm::BuiltinFieldMap("sensor_02b0_push");
    ASSERT_TRUE(tsun);
    std::vector<std::uint8_t> payload(409);
    FieldValues too_big;
    too_big.numbers["power_ac"] = 7000.0;  // u16 BE in 0.1 W: at most 6553.5 W
    const Status big = EncodeFields(*tsun, too_big, payload);
    ASSERT_FALSE(big);
    EXPECT_NE(big.error().message.find("power_ac"), std::string::npos) << big.error().message;
    FieldValues negative;
    negative.numbers["grid_voltage"] = -1.0;
    EXPECT_FALSE(EncodeFields(*tsun, negative, payload));
    FieldValues bad_version;
    bad_version.texts["firmware_version"] = "4.0.10";
    EXPECT_FALSE(EncodeFields(*tsun, bad_version, payload));

    std::vector<std::uint8_t> short_payload(100);
    EXPECT_FALSE(EncodeFields(*tsun, FieldValues{}, short_payload));
    const auto registers = sm::BuiltinFieldMap("deye_micro_modbus");
    ASSERT_TRUE(registers);
    EXPECT_FALSE(EncodeFields(*registers, FieldValues{}, payload));

    const auto deye = sm::BuiltinFieldMap("deye_micro_push");
    ASSERT_TRUE(deye);
    std::vector<std::uint8_t> deye_payload(251);
    FieldValues long_text;
    long_text.texts["dc_firmware"] = "V0.1.1.1.2";  // 8 bytes on the wire
    EXPECT_FALSE(EncodeFields(*deye, long_text, deye_payload));
    FieldValues signed_value;
    signed_value.numbers["temperature"] = -12.34;  // s16 LE in 0.01 °C
    ASSERT_TRUE(EncodeFields(*deye, signed_value, deye_payload));
    EXPECT_EQ(deye_payload[63], 0x2E);  // -1234 = 0xFB2E
    EXPECT_EQ(deye_payload[64], 0xFB);
}

TEST(SimulatedInverter, ADayOfReadingsFitsTheWireAndCountsUp) {
    const TimeZone zone = *TimeZone::Find("Europe/Berlin");
    for (const PushLayout layout : {PushLayout::kDeyeMicro, PushLayout::kSensor02B0}) {
        SCOPED_TRACE(PushLayoutName(layout));
        SimulatedInverter inverter(layout, 42);
        LoggerFrames frames = MakeFrames(layout);
        const Timestamp start = zone.StartOfDay(kNoon);
        double last_total = 0.0;
        double peak = 0.0;
        double today_at_end = 0.0;
        for (Timestamp t = start; t < start + 24h; t += 5min) {
            const InverterReading r = inverter.ReadingAt(t, zone);
            ASSERT_GE(r.energy_total_kwh, last_total);
            last_total = r.energy_total_kwh;
            peak = std::max(peak, r.power_ac_w);
            today_at_end = r.energy_today_kwh;
            ASSERT_TRUE(frames.Data(r, t)) << FormatUtc(t);
        }
        EXPECT_GT(peak, 0.75 * ProfileOf(layout).rated_power_w);
        EXPECT_LE(peak, 1.2 * ProfileOf(layout).rated_power_w);
        EXPECT_GT(today_at_end, 1.0);
        EXPECT_EQ(inverter.ReadingAt(start + 24h + 1min, zone).energy_today_kwh, 0.0);  // local midnight, at night
    }
}

// ---- Reply check ----------------------------------------------------------------------------------------

class CheckReplyTest : public ::testing::Test {
  protected:
    std::vector<std::uint8_t> Reply(const std::function<void(sm::Frame&)>& spoil = {}, Timestamp at = kNoon) {
        auto reply = sm::BuildReply(request_, at);
        EXPECT_TRUE(reply);
        if (spoil) spoil(*reply);
        return sm::EncodeFrame(*reply);
    }
    Status Check(const std::vector<std::uint8_t>& bytes) {
        const auto result = CheckReply(request_, bytes, kNoon, check_);
        if (result) return Ok();
        return result.error();
    }

    LoggerFrames frames_ = MakeFrames(PushLayout::kSensor02B0);
    sm::Frame request_ = *frames_.Data(SampleReading(), kNoon);
    ReplyCheck check_;
};

TEST_F(CheckReplyTest, AcceptsWhatBuildReplyAnswers) {
    const auto reply = CheckReply(request_, Reply(), kNoon, check_);
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->control, sm::ControlCode::kDataReply);
}

TEST_F(CheckReplyTest, NamesEachThingThatIsWrong) {
    const auto expect_bad = [&](const std::vector<std::uint8_t>& bytes, std::string_view what) {
        const Status status = Check(bytes);
        ASSERT_FALSE(status) << what;
        EXPECT_NE(status.error().message.find(what), std::string::npos) << status.error().message;
    };
    expect_bad(Reply([](sm::Frame& f) { f.control = sm::ControlCode::kHeartbeatReply; }), "control code");
    expect_bad(Reply([](sm::Frame& f) { ++f.server_sequence; }), "sequence");
    expect_bad(Reply([](sm::Frame& f) { ++f.logger_sequence; }), "sequence");
    expect_bad(Reply([](sm::Frame& f) { ++f.logger_serial; }), "serial");
    expect_bad(Reply([](sm::Frame& f) { f.payload[0] = 0x81; }), "frame type");
    expect_bad(Reply([](sm::Frame& f) { f.payload[1] = 0x00; }), "status");
    expect_bad(Reply([](sm::Frame& f) { f.payload.pop_back(); }), "payload");
    expect_bad(Reply({}, kNoon + 10min), "time");
    std::vector<std::uint8_t> bad_checksum = Reply();
    bad_checksum[bad_checksum.size() - 2] ^= 0xFF;
    expect_bad(bad_checksum, "checksum");
}

TEST_F(CheckReplyTest, AcceptsATimeInUtcOrInTheLocalZone) {
    check_.zone = *TimeZone::Find("Europe/Berlin");
    EXPECT_TRUE(Check(Reply({}, kNoon + 2h)));  // CEST: UTC+2
    EXPECT_TRUE(Check(Reply({}, kNoon + 100s)));
    EXPECT_FALSE(Check(Reply({}, kNoon + 1h)));
}

// ---- The client against an in-test server -----------------------------------------------------------------

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A minimal push server: decodes each frame it receives, keeps it, and answers what `answer` returns (by
// default BuildReply at the clock's time); nullopt closes the connection instead; an empty vector sends nothing.
class TestServer {
  public:
    using Answer =
        std::function<std::optional<std::vector<std::uint8_t>>(const sm::Frame& request, std::size_t frame_index)>;

    explicit TestServer(const Clock& clock, Answer answer = {})
        : clock_(clock),
          answer_(std::move(answer)),
          acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
        asio::co_spawn(io_, Accept(), asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~TestServer() {
        io_.stop();
        thread_.join();
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::vector<sm::Frame> frames() const {
        const std::lock_guard lock(mutex_);
        return frames_;
    }
    std::size_t connections() const {
        const std::lock_guard lock(mutex_);
        return connections_;
    }

  private:
    asio::awaitable<void> Accept() {
        while (true) {
            auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            asio::co_spawn(io_, Serve(std::move(socket)), asio::detached);
        }
    }

    asio::awaitable<void> Serve(tcp::socket socket) {
        {
            const std::lock_guard lock(mutex_);
            ++connections_;
        }
        sm::Framer framer(4096);
        std::array<std::uint8_t, 2048> buffer{};
        while (true) {
            const auto [ec, n] =
                co_await socket.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            if (!framer.Feed(std::span(buffer.data(), n))) co_return;
            while (true) {
                auto next = framer.Next();
                if (!next) co_return;
                if (!*next) break;
                auto frame = sm::DecodeFrame(**next);
                if (!frame) co_return;
                std::size_t index = 0;
                {
                    const std::lock_guard lock(mutex_);
                    index = frames_.size();
                    frames_.push_back(*frame);
                }
                const std::optional<std::vector<std::uint8_t>> reply = Respond(*frame, index);
                if (!reply) co_return;  // closes the connection
                if (reply->empty()) continue;
                const auto [write_ec, written] =
                    co_await asio::async_write(socket, asio::buffer(*reply), asio::as_tuple(asio::use_awaitable));
                if (write_ec) co_return;
            }
        }
    }

    std::optional<std::vector<std::uint8_t>> Respond(const sm::Frame& frame, std::size_t index) {
        if (answer_) return answer_(frame, index);
        return sm::EncodeFrame(*sm::BuildReply(frame, clock_.Now()));
    }

    const Clock& clock_;
    Answer answer_;
    asio::io_context io_;
    tcp::acceptor acceptor_;
    std::thread thread_;
    mutable std::mutex mutex_;
    std::vector<sm::Frame> frames_;
    std::size_t connections_ = 0;
};

// RunSolarmanPushers on its own thread; the destructor stops and joins it.
class PusherRun {
  public:
    PusherRun(PusherOptions options, const Clock& clock)
        : options_(std::move(options)), thread_([this, &clock](std::stop_token stop) {
              done_.set_value(RunSolarmanPushers(options_, clock, stats_, stop));
          }) {}

    // True when the run returned within `timeout`; then status() holds its result.
    bool Finished(std::chrono::milliseconds timeout = 30s) {
        return result_.wait_for(timeout) == std::future_status::ready;
    }
    Status status() { return result_.get(); }
    void Stop() { thread_.request_stop(); }
    const PusherStats& stats() const { return stats_; }

  private:
    PusherOptions options_;
    PusherStats stats_;
    std::promise<Status> done_;
    std::future<Status> result_ = done_.get_future();
    std::jthread thread_;  // last: it uses the members above
};

// Waits for `condition` with a deadline, polling briefly; true when it held in time.
template <class Condition>
bool WaitFor(Condition condition, std::chrono::milliseconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

PusherOptions FastOptions(std::uint16_t port, std::size_t loggers, std::uint64_t data_frames) {
    PusherOptions options;
    options.port = port;
    options.loggers = loggers;
    options.interval = 0ms;
    options.heartbeat_interval = 0ms;
    options.reconnect_every = 0ms;
    options.data_frames_per_logger = data_frames;
    options.first_logger_serial = 3'000'000'000;
    options.retry_delay = 10ms;
    return options;
}

std::size_t Count(const std::vector<sm::Frame>& frames, sm::ControlCode control) {
    return static_cast<std::size_t>(
        std::count_if(frames.begin(), frames.end(), [&](const sm::Frame& f) { return f.control == control; }));
}

TEST(RunSolarmanPushers, EveryFrameIsAcknowledgedByAConformingServer) {
    FakeClock clock(kNoon);
    TestServer server(clock);
    PusherOptions options = FastOptions(server.port(), 3, 20);
    options.layout = PushLayout::kSensor02B0;
    PusherRun run(options, clock);
    ASSERT_TRUE(run.Finished());
    ASSERT_TRUE(run.status());

    const PusherStats& stats = run.stats();
    EXPECT_EQ(stats.frames_sent.load(), 3u * 21);  // a hello and 20 data frames each
    EXPECT_EQ(stats.data_frames_sent.load(), 3u * 20);
    EXPECT_EQ(stats.replies_ok.load(), 3u * 21);
    EXPECT_EQ(stats.replies_bad.load(), 0u);
    EXPECT_EQ(stats.reply_timeouts.load(), 0u);
    EXPECT_EQ(stats.connects.load(), 3u);
    EXPECT_EQ(stats.reconnects.load(), 0u);
    EXPECT_EQ(stats.loggers_finished.load(), 3u);

    const std::vector<sm::Frame> frames = server.frames();
    EXPECT_EQ(Count(frames, sm::ControlCode::kHello), 3u);
    EXPECT_EQ(Count(frames, sm::ControlCode::kData), 60u);
    const auto map = sm::BuiltinFieldMap("sensor_02b0_push");
    ASSERT_TRUE(map);
    std::map<std::uint32_t, std::uint8_t> last_sequence;
    for (const sm::Frame& frame : frames) {
        EXPECT_GE(frame.logger_serial, 3'000'000'000u);
        EXPECT_LT(frame.logger_serial, 3'000'000'003u);
        // Per logger, byte 6 counts frames and byte 5 is what the server last acknowledged with.
        // Both start at 00 01 and each acknowledged exchange moves both by one, so byte 5 trails byte 6 by one.
        const std::uint8_t previous = last_sequence[frame.logger_serial];
        EXPECT_EQ(frame.logger_sequence, static_cast<std::uint8_t>(previous + 1));
        EXPECT_EQ(frame.server_sequence, previous);
        last_sequence[frame.logger_serial] = frame.logger_sequence;
        if (frame.control != sm::ControlCode::kData) continue;
        const auto report = sm::DecodeDataPayload(frame.payload, *map);
        ASSERT_TRUE(report) << report.error().message;
        EXPECT_TRUE(report->skipped.empty()) << report->skipped.front();
        EXPECT_GT(report->FindSample("power_ac")->value, 0.0);  // noon in June
        EXPECT_EQ(report->device_time_ms, ToMillis(kNoon));     // the fake clock, as the server's replies set it
    }
}

TEST(RunSolarmanPushers, CountsAndLogsRepliesThatAreWrong) {
    FakeClock clock(kNoon);
    TestServer server(clock, [&](const sm::Frame& request, std::size_t) {
        sm::Frame reply = *sm::BuildReply(request, clock.Now());
        reply.payload[1] = 0x00;  // "not accepted"
        return std::optional(sm::EncodeFrame(reply));
    });
    PusherRun run(FastOptions(server.port(), 2, 5), clock);
    ASSERT_TRUE(run.Finished());
    ASSERT_TRUE(run.status());
    EXPECT_EQ(run.stats().frames_sent.load(), 2u * 6);
    EXPECT_EQ(run.stats().replies_bad.load(), 2u * 6);
    EXPECT_EQ(run.stats().replies_ok.load(), 0u);
    EXPECT_EQ(run.stats().reply_timeouts.load(), 0u);
}

TEST(RunSolarmanPushers, CountsGarbageAsABadReplyAndCarriesOn) {
    FakeClock clock(kNoon);
    TestServer server(clock, [&](const sm::Frame& request, std::size_t index) {
        std::vector<std::uint8_t> reply = sm::EncodeFrame(*sm::BuildReply(request, clock.Now()));
        if (index % 2 == 1) reply[reply.size() - 2] ^= 0x5A;  // every other reply has a bad checksum
        return std::optional(reply);
    });
    PusherRun run(FastOptions(server.port(), 1, 9), clock);
    ASSERT_TRUE(run.Finished());
    ASSERT_TRUE(run.status());
    EXPECT_EQ(run.stats().frames_sent.load(), 10u);
    EXPECT_EQ(run.stats().replies_ok.load(), 5u);
    EXPECT_EQ(run.stats().replies_bad.load(), 5u);
}

TEST(RunSolarmanPushers, HeartbeatsGoBetweenDataFrames) {
    FakeClock clock(kNoon);
    TestServer server(clock);
    PusherOptions options = FastOptions(server.port(), 1, 3);
    options.interval = 40ms;
    options.heartbeat_interval = 10ms;
    PusherRun run(options, clock);
    ASSERT_TRUE(run.Finished());
    EXPECT_EQ(run.stats().replies_ok.load(), run.stats().frames_sent.load());
    const std::vector<sm::Frame> frames = server.frames();
    EXPECT_EQ(Count(frames, sm::ControlCode::kData), 3u);
    EXPECT_GE(Count(frames, sm::ControlCode::kHeartbeat), 2u);  // 80 ms between the first and last data frame
}

TEST(RunSolarmanPushers, ALostConnectionIsReopenedAndItsDataResentAsHistoric) {
    FakeClock clock(kNoon);
    // The first connection dies with the third data frame unanswered (frames: hello, data, data, data).
    TestServer server(clock,
                      [&](const sm::Frame& request, std::size_t index) -> std::optional<std::vector<std::uint8_t>> {
                          if (index == 3) return std::nullopt;
                          return sm::EncodeFrame(*sm::BuildReply(request, clock.Now()));
                      });
    PusherRun run(FastOptions(server.port(), 1, 5), clock);
    ASSERT_TRUE(run.Finished());
    EXPECT_EQ(run.stats().reply_timeouts.load(), 1u);
    EXPECT_EQ(run.stats().reconnects.load(), 1u);
    EXPECT_EQ(run.stats().historic_sent.load(), 1u);

    const std::vector<sm::Frame> frames = server.frames();
    ASSERT_GE(frames.size(), 6u);
    EXPECT_EQ(frames[4].control, sm::ControlCode::kHello);  // the second connection
    EXPECT_EQ(frames[5].control, sm::ControlCode::kData);
    const auto lost = sm::DecodePushHeader(frames[3].payload);
    const auto resent = sm::DecodePushHeader(frames[5].payload);
    ASSERT_TRUE(lost && resent);
    EXPECT_EQ(resent->frame_type, 0x81);
    EXPECT_EQ(resent->DeviceTimeMs(), lost->DeviceTimeMs());
    EXPECT_EQ(Count(frames, sm::ControlCode::kData), 6u);  // 5 real time + 1 historic
    EXPECT_EQ(server.connections(), 2u);
}

TEST(RunSolarmanPushers, AReplyThatNeverComesTimesOut) {
    FakeClock clock(kNoon);
    TestServer server(clock, [&](const sm::Frame& request, std::size_t index) {
        if (index == 0) return std::optional(std::vector<std::uint8_t>{});  // the first hello goes unanswered
        return std::optional(sm::EncodeFrame(*sm::BuildReply(request, clock.Now())));
    });
    PusherOptions options = FastOptions(server.port(), 1, 2);
    options.reply_timeout = 100ms;
    PusherRun run(options, clock);
    ASSERT_TRUE(run.Finished());
    EXPECT_EQ(run.stats().reply_timeouts.load(), 1u);
    EXPECT_EQ(run.stats().reconnects.load(), 1u);
    EXPECT_EQ(run.stats().replies_ok.load(), 3u);  // the second hello and two data frames
}

TEST(RunSolarmanPushers, ReconnectsOnSchedule) {
    FakeClock clock(kNoon);
    TestServer server(clock);
    PusherOptions options = FastOptions(server.port(), 2, 0);
    options.interval = 5ms;
    options.reconnect_every = 30ms;
    PusherRun run(options, clock);
    // The reconnect counter rises when the connection opens, before its hello arrives: wait for the hellos.
    EXPECT_TRUE(WaitFor(
        [&] { return run.stats().reconnects.load() >= 4 && Count(server.frames(), sm::ControlCode::kHello) >= 6u; }));
    run.Stop();
    ASSERT_TRUE(run.Finished());
    EXPECT_EQ(run.stats().replies_bad.load(), 0u);
    EXPECT_EQ(run.stats().reply_timeouts.load(), 0u);
    EXPECT_GE(Count(server.frames(), sm::ControlCode::kHello), 6u);
}

TEST(RunSolarmanPushers, StopEndsARunThatIsWaitingForItsNextInterval) {
    FakeClock clock(kNoon);
    TestServer server(clock);
    PusherOptions options = FastOptions(server.port(), 4, 0);
    options.interval = 1h;
    options.heartbeat_interval = 1h;
    PusherRun run(options, clock);
    ASSERT_TRUE(WaitFor([&] { return run.stats().replies_ok.load() == 8; }));  // hello and first data frame each
    run.Stop();
    ASSERT_TRUE(run.Finished(5s));
    ASSERT_TRUE(run.status());
    EXPECT_EQ(run.stats().loggers_finished.load(), 4u);
    EXPECT_EQ(run.stats().frames_sent.load(), 8u);
}

TEST(RunSolarmanPushers, KeepsRetryingAServerThatIsNotThere) {
    FakeClock clock(kNoon);
    std::uint16_t port = 0;
    {
        TestServer gone(clock);  // a port that was just free
        port = gone.port();
    }
    PusherOptions options = FastOptions(port, 1, 1);
    PusherRun run(options, clock);
    EXPECT_TRUE(WaitFor([&] { return run.stats().connect_failures.load() >= 2; }));
    run.Stop();
    ASSERT_TRUE(run.Finished(5s));
    EXPECT_EQ(run.stats().frames_sent.load(), 0u);
}

TEST(RunSolarmanPushers, RefusesBadOptions) {
    FakeClock clock(kNoon);
    PusherStats stats;
    PusherOptions options;
    options.loggers = 0;
    EXPECT_FALSE(RunSolarmanPushers(options, clock, stats, {}));
    options = PusherOptions{};
    options.first_logger_serial = 0xFFFF'FFFF;
    options.loggers = 2;
    EXPECT_FALSE(RunSolarmanPushers(options, clock, stats, {}));
    options = PusherOptions{};
    options.reply_timeout = 0ms;
    EXPECT_FALSE(RunSolarmanPushers(options, clock, stats, {}));
}

}  // namespace
}  // namespace mh::sim
