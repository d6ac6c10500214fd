// The Solarman collector of the real binary: a logger on a real socket, replies checked byte for byte, samples
// visible through the HTTP API, historic frames at their own time, unclaimed devices and claiming them, and
// garbage closing only the connection that sent it.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <regex>

#include "ingest/solarman/frame.hpp"
#include "ingest/solarman/reply.hpp"
#include "admin_session.hpp"
#include "server.hpp"
#include "unit/net/test_client.hpp"
#include "unit/solarman/fixtures.hpp"

namespace mh::testing {
namespace {

namespace json = boost::json;
namespace solarman = ingest::solarman;
using ingest::solarman::testing::LoadHex;
using net::testing::TestConnection;

constexpr std::uint32_t kLoggerSerial = 4142050081;  // the synthetic Deye micro fixture's logger
constexpr std::uint32_t kStrangerSerial = 2712345678;

json::value Parse(const std::string& body) {
    return ParseJson(body);
}

std::string Bytes(const std::vector<std::uint8_t>& v) {
    return {v.begin(), v.end()};
}

solarman::Frame DataFrame(std::uint32_t serial, std::uint8_t sequence, bool historic = false,
                          std::int64_t device_time_s = 0) {
    auto frame = *solarman::DecodeFrame(LoadHex("deyemicro_data_synthetic"));
    frame.logger_serial = serial;
    frame.logger_sequence = sequence;
    if (historic) frame.payload[0] = 0x81;
    if (device_time_s != 0) {  // total working time (payload 3) + offset time (payload 11) = the logger's clock
        for (int i = 0; i < 4; ++i) {
            frame.payload[3 + i] = static_cast<std::uint8_t>(device_time_s >> (8 * i));
            frame.payload[11 + i] = 0;
        }
    }
    return frame;
}

solarman::Frame Heartbeat(std::uint32_t serial, std::uint8_t sequence) {
    return solarman::Frame{solarman::ControlCode::kHeartbeat, 0x20, sequence, serial, {0x00}};
}

// Reads one 23-byte acknowledgement and checks it against the reply our codec builds for `request`; the four
// time bytes must be the server's clock, give or take a few seconds.
void ExpectReply(TestConnection& c, const solarman::Frame& request) {
    auto bytes = c.ReadBytes(23);
    ASSERT_TRUE(bytes) << "no reply to " << solarman::FormatControlCode(request.control);
    auto reply = solarman::DecodeFrame(std::vector<std::uint8_t>(bytes->begin(), bytes->end()));
    ASSERT_TRUE(reply) << reply.error().message;
    const std::uint32_t sent_s = reply->payload[2] | reply->payload[3] << 8 | reply->payload[4] << 16 |
                                 static_cast<std::uint32_t>(reply->payload[5]) << 24;
    EXPECT_NEAR(static_cast<double>(sent_s), static_cast<double>(WallMs() / 1000), 5.0);
    auto expected = *solarman::BuildReply(request, FromMillis(std::int64_t{sent_s} * 1000));
    EXPECT_EQ(*bytes, Bytes(solarman::EncodeFrame(expected)));
}

class SolarmanTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        server_ = new ServerProcess({"--set", "solarman.poll_interval_s=1", "--set", "solarman.poll_rescan_s=1"});
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }

    HttpResponse Call(const std::string& method, const std::string& target, const std::string& body = "") {
        return admin_.Call(method, target, body);
    }
    std::string MakeTenant(const std::string& name) { return admin_.MakeTenant(name); }
    std::map<std::string, std::string> SeriesOf(const std::string& tenant, const std::string& device) {
        return admin_.SeriesOf(tenant, device);
    }

    static ServerProcess* server_;
    AdminSession admin_{server_->port()};
    HttpClient& client_ = admin_.client();
};

ServerProcess* SolarmanTest::server_ = nullptr;

TEST_F(SolarmanTest, ARegisteredLoggerIsAcknowledgedAndItsSamplesAreStored) {
    const std::string tenant = MakeTenant("roof");
    auto d = Call("POST", "/api/v1/tenants/" + tenant + "/devices",
                  R"({"name":"Balcony","source":"solarman","serial":")" + std::to_string(kLoggerSerial) + "\"}");
    ASSERT_EQ(d.status, 201) << d.body;
    const std::string device(Parse(d.body).at("id").as_string());

    TestConnection logger(server_->solarman_port());
    ASSERT_TRUE(logger.connected());
    const auto beat = Heartbeat(kLoggerSerial, 1);
    ASSERT_TRUE(logger.Send(Bytes(solarman::EncodeFrame(beat))));
    ExpectReply(logger, beat);

    // A data frame split across two writes, with a heartbeat glued to its end.
    const auto data = DataFrame(kLoggerSerial, 2, false, WallMs() / 1000);  // a logger whose clock we set
    const auto beat2 = Heartbeat(kLoggerSerial, 3);
    std::string bytes = Bytes(solarman::EncodeFrame(data)) + Bytes(solarman::EncodeFrame(beat2));
    ASSERT_TRUE(logger.Send(bytes.substr(0, 40)));
    ASSERT_TRUE(logger.Send(bytes.substr(40)));
    ExpectReply(logger, data);
    ExpectReply(logger, beat2);

    // The reply to a data frame is sent once its samples are committed, so they are readable now.
    auto series = SeriesOf(tenant, device);
    ASSERT_TRUE(series.contains("power_ac")) << "series: " << series.size();
    EXPECT_TRUE(series.contains("dc2.energy_total"));
    auto latest = Call("GET", "/api/v1/tenants/" + tenant + "/series/" + series["power_ac"] + "/latest");
    ASSERT_EQ(latest.status, 200) << latest.body;
    EXPECT_EQ(Parse(latest.body).at("value").to_number<double>(), 598.0);
    auto total = Call("GET", "/api/v1/tenants/" + tenant + "/series/" + series["energy_total"] + "/latest");
    EXPECT_NEAR(Parse(total.body).at("value").to_number<double>(), 4567.8, 1e-6);
    // What the frame said about the inverter is kept with the device.
    auto info = Parse(Call("GET", "/api/v1/tenants/" + tenant + "/devices/" + device).body);
    EXPECT_EQ(info.at("firmware").as_string(), "V0.1.5.9");
    EXPECT_EQ(info.at("rated_power_w").to_number<double>(), 600.0);

    // A historic frame is stored at the logger's time, not now; one from 1970 is not stored at all.
    const std::int64_t hour_ago_s = WallMs() / 1000 - 3600;
    const auto historic = DataFrame(kLoggerSerial, 4, true, hour_ago_s);
    ASSERT_TRUE(logger.Send(Bytes(solarman::EncodeFrame(historic))));
    ExpectReply(logger, historic);
    const auto range_of = [&](std::int64_t from_ms, std::int64_t to_ms) {
        auto r = Call("GET", "/api/v1/tenants/" + tenant + "/series/" + series["power_ac"] +
                                 "/range?from=" + std::to_string(from_ms) + "&to=" + std::to_string(to_ms));
        EXPECT_EQ(r.status, 200) << r.body;
        return Parse(r.body).at("points").as_array();
    };
    auto around = range_of((hour_ago_s - 60) * 1000, (hour_ago_s + 60) * 1000);
    ASSERT_EQ(around.size(), 1u);
    EXPECT_EQ(around[0].as_array()[0].as_int64(), hour_ago_s * 1000);
    const auto ancient = DataFrame(kLoggerSerial, 5, true, 1'600'000'000);
    ASSERT_TRUE(logger.Send(Bytes(solarman::EncodeFrame(ancient))));
    ExpectReply(logger, ancient);  // acknowledged, so the logger does not send it forever
    EXPECT_TRUE(range_of(1'599'990'000'000, 1'600'010'000'000).empty());
}

TEST_F(SolarmanTest, UnknownLoggersAreAcknowledgedRecordedAndCanBeClaimed) {
    TestConnection stranger(server_->solarman_port());
    const auto data = DataFrame(kStrangerSerial, 1);
    ASSERT_TRUE(stranger.Send(Bytes(solarman::EncodeFrame(data))));
    ExpectReply(stranger, data);

    auto waiting = Call("GET", "/api/v1/unclaimed-devices");
    ASSERT_EQ(waiting.status, 200) << waiting.body;
    bool listed = false;
    const auto list = Parse(waiting.body);
    for (const auto& d : list.at("devices").as_array()) {
        if (d.at("serial").as_string() == std::to_string(kStrangerSerial)) {
            listed = true;
            EXPECT_EQ(d.at("source").as_string(), "solarman");
            EXPECT_EQ(d.at("remote_address").as_string(), "127.0.0.1");
            EXPECT_GE(d.at("frames").as_int64(), 1);
        }
    }
    EXPECT_TRUE(listed) << waiting.body;

    const std::string tenant = MakeTenant("claimer");
    auto household_view = Call("GET", "/api/v1/tenants/" + tenant + "/unclaimed-devices");
    EXPECT_NE(household_view.body.find(std::to_string(kStrangerSerial)), std::string::npos) << household_view.body;
    auto claim = Call("POST", "/api/v1/tenants/" + tenant + "/devices/claim",
                      R"({"serial":")" + std::to_string(kStrangerSerial) + R"(","name":"Garage"})");
    ASSERT_EQ(claim.status, 201) << claim.body;
    EXPECT_EQ(Parse(claim.body).at("source").as_string(), "solarman");
    EXPECT_EQ(Call("POST", "/api/v1/tenants/" + tenant + "/devices/claim",
                   R"({"serial":")" + std::to_string(kStrangerSerial) + "\"}")
                  .status,
              404);
}

// The collector remembers for a while that a serial is nobody's; registering it through the API tells the collector
// (domain::Devices), so the logger's very next frame is stored — on the connection it already has.
TEST_F(SolarmanTest, ALoggerRegisteredWhileConnectedIsStoredFromItsNextFrame) {
    constexpr std::uint32_t kLateSerial = 2712340001;
    TestConnection logger(server_->solarman_port());
    const auto first = DataFrame(kLateSerial, 1);
    ASSERT_TRUE(logger.Send(Bytes(solarman::EncodeFrame(first))));
    ExpectReply(logger, first);  // acknowledged and recorded as unclaimed

    const std::string tenant = MakeTenant("late-registration");
    auto d = Call("POST", "/api/v1/tenants/" + tenant + "/devices",
                  R"({"name":"Late","source":"solarman","serial":")" + std::to_string(kLateSerial) + "\"}");
    ASSERT_EQ(d.status, 201) << d.body;
    const std::string device(Parse(d.body).at("id").as_string());

    const auto second = DataFrame(kLateSerial, 2);
    ASSERT_TRUE(logger.Send(Bytes(solarman::EncodeFrame(second))));
    ExpectReply(logger, second);
    auto series = SeriesOf(tenant, device);
    ASSERT_TRUE(series.contains("power_ac")) << "series: " << series.size();
    auto latest = Call("GET", "/api/v1/tenants/" + tenant + "/series/" + series["power_ac"] + "/latest");
    EXPECT_EQ(latest.status, 200) << latest.body;
}

TEST_F(SolarmanTest, GarbageClosesOnlyItsOwnConnection) {
    TestConnection good(server_->solarman_port());
    const auto beat = Heartbeat(kStrangerSerial + 1, 1);
    ASSERT_TRUE(good.Send(Bytes(solarman::EncodeFrame(beat))));
    ExpectReply(good, beat);

    TestConnection http(server_->solarman_port());
    ASSERT_TRUE(http.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_TRUE(http.WaitForClose());

    // A frame with a broken checksum after good ones is tolerated once; the connection keeps working.
    auto broken = solarman::EncodeFrame(Heartbeat(kStrangerSerial + 1, 2));
    broken[broken.size() - 2] ^= 0xFF;
    ASSERT_TRUE(good.Send(Bytes(broken)));
    ASSERT_TRUE(net::testing::WaitFor([&] {
        auto metrics = client_.Request("GET", "/metrics").body;
        return metrics.find("meterhub_solarman_bad_frames_total 0") == std::string::npos &&
               metrics.find("meterhub_solarman_bad_frames_total") != std::string::npos;
    })) << "the broken frame was not seen";
    const auto beat3 = Heartbeat(kStrangerSerial + 1, 3);
    ASSERT_TRUE(good.Send(Bytes(solarman::EncodeFrame(beat3))));
    ExpectReply(good, beat3);
}

TEST_F(SolarmanTest, ThePredecessorsMeasurementsEndpointRoutesBySerial) {
    const std::string tenant = MakeTenant("legacy");
    auto d = Call("POST", "/api/v1/tenants/" + tenant + "/devices",
                  R"({"name":"Old","source":"solarman","serial":"4300000001"})");
    ASSERT_EQ(d.status, 201) << d.body;
    const std::string device(Parse(d.body).at("id").as_string());
    const std::int64_t ts = WallMs() - 60'000;
    auto posted = Call("POST", "/api/measurements",
                       R"({"serial_logger":"4300000001","total_output_power":812.5,"yield_day_wh":1500,"timestamp":)" +
                           std::to_string(ts) + "}");
    ASSERT_EQ(posted.status, 201) << posted.body;
    EXPECT_EQ(Parse(posted.body).at("stored").as_int64(), 2);
    auto series = SeriesOf(tenant, device);
    auto power = Parse(Call("GET", "/api/v1/tenants/" + tenant + "/series/" + series["power_ac"] + "/latest").body);
    EXPECT_EQ(power.at("value").to_number<double>(), 812.5);
    auto today = Parse(Call("GET", "/api/v1/tenants/" + tenant + "/series/" + series["energy_today"] + "/latest").body);
    EXPECT_EQ(today.at("value").to_number<double>(), 1.5);  // Wh in, kWh stored

    EXPECT_EQ(Call("POST", "/api/measurements", R"({"serial_logger":"999","total_output_power":1})").status, 404);
    EXPECT_EQ(Call("POST", "/api/measurements", R"({"serial_logger":"4300000001","total_output_power":"x"})").status,
              422);
    EXPECT_EQ(Call("POST", "/api/measurements", "{oops").status, 422);
    EXPECT_EQ(
        client_.Request("POST", "/api/measurements", R"({"serial_logger":"4300000001","total_output_power":1})").status,
        401);
}

TEST_F(SolarmanTest, PullModePollsALoggerOnTheLan) {
    // A simulated logger that answers Modbus reads, as `meterhub sim solarman --listen` plays it.
    Background logger({"sim", "solarman", "--listen", "--port", "0", "--first-serial", "4200000000"});
    const std::regex answering("answers Modbus reads on 127.0.0.1:([0-9]+)");
    std::string port;
    while (auto line = logger.ReadLine()) {
        std::smatch m;
        if (std::regex_search(*line, m, answering)) {
            port = m[1];
            break;
        }
    }
    ASSERT_FALSE(port.empty()) << "the simulated logger did not say where it listens";

    const std::string tenant = MakeTenant("pulled");
    auto d = Call("POST", "/api/v1/tenants/" + tenant + "/devices",
                  R"({"name":"Shed","source":"solarman","serial":"4200000000","model":"deye_micro_modbus",)"
                  R"("poll_address":"127.0.0.1:)" +
                      port + "\"}");
    ASSERT_EQ(d.status, 201) << d.body;
    const std::string device(Parse(d.body).at("id").as_string());
    EXPECT_EQ(Parse(d.body).at("poll_address").as_string(), "127.0.0.1:" + port);

    // The server picks the device up within a rescan and polls it every second.
    json::value latest;
    ASSERT_TRUE(net::testing::WaitFor(
        [&] {
            auto series = SeriesOf(tenant, device);
            if (!series.contains("energy_total") || !series.contains("power_ac")) return false;
            latest =
                Parse(Call("GET", "/api/v1/tenants/" + tenant + "/series/" + series["energy_total"] + "/latest").body);
            return !latest.at("value").is_null();
        },
        std::chrono::seconds(20)))
        << "no samples from the polled logger";
    EXPECT_GT(latest.at("value").to_number<double>(), 0.0);
    EXPECT_EQ(logger.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace mh::testing
