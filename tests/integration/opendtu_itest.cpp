// The OpenDTU push contract of the real binary (the predecessor's cases: all stored 201, mixed 207, none known 404,
// missing or wrong key 401, yield sums, no channels), hostile bodies, tenant isolation, concurrent pushes and the
// inverter management routes around it.
#include <gtest/gtest.h>

#include <cmath>
#include <ctime>
#include <thread>

#include "admin_session.hpp"
#include "mosquitto.hpp"
#include "net/mqtt_client.hpp"
#include "server.hpp"

namespace mh::testing {
namespace {

// The wall clock's second plus `offset_s`, or `base_s` (a second taken once) plus it, so that timestamps of
// one test stay a whole number of seconds apart even when the clock ticks between them.
std::string IsoNow(int offset_s = 0, std::int64_t base_s = WallMs() / 1000) {
    const std::time_t t = base_s + offset_s;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
    return text;
}

// One inverter of a push body; `channels` as JSON array text (empty: none).
std::string Inverter(const std::string& serial, double power_ac, const std::string& channels = "") {
    std::string s = R"({"serial":")" + serial + R"(","name":"x","reachable":true,"producing":true,"last_update":1,)" +
                    R"("measurements":{"power_ac":)" + std::to_string(power_ac) +
                    R"(,"voltage_ac":230.1,"current_ac":0.43,"frequency":50.01,"power_factor":0.99,"power_dc":104.2})";
    if (!channels.empty()) s += R"(,"dc_channels":)" + channels;
    return s + "}";
}

std::string Push(const std::vector<std::string>& inverters, const std::string& timestamp = IsoNow()) {
    std::string s = R"({"timestamp":")" + timestamp + R"(","dtu_serial":"199980123456","inverters":[)";
    for (std::size_t i = 0; i < inverters.size(); ++i) s += (i ? "," : "") + inverters[i];
    return s + "]}";
}

const std::string kTwoChannels =
    R"([{"channel":1,"name":"A","power":50,"voltage":30,"current":1.6,"yield_day":1000,"yield_total":500.5,)"
    R"("irradiation":10},{"channel":2,"name":"B","power":50,"voltage":30,"current":1.6,"yield_day":800,)"
    R"("yield_total":400.3,"irradiation":10}])";

class OpenDtuTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { server_ = new ServerProcess(); }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }

    HttpResponse PushWith(const std::string& key, const std::string& body) {
        return dtu_.Request("POST", "/api/opendtu/measurements", body, {{"x-api-key", key}});
    }

    static ServerProcess* server_;
    AdminSession admin_{server_->port()};
    HttpClient dtu_{server_->port()};
};

ServerProcess* OpenDtuTest::server_ = nullptr;

TEST_F(OpenDtuTest, AllKnownInvertersAreStoredWithEveryField) {
    const auto tenant = admin_.MakeTenant("dtu-all");
    const auto key = admin_.MakeApiKey(tenant);
    const auto a = admin_.MakeDevice(tenant, "Garage", R"("source":"opendtu","serial":"116100000001")");
    const auto b = admin_.MakeDevice(tenant, "Shed", R"("source":"opendtu","serial":"116100000002")");

    auto r = PushWith(key, Push({Inverter("116100000001", 100.0, kTwoChannels), Inverter("116100000002", 16.7)}));
    ASSERT_EQ(r.status, 201) << r.body;
    const auto answer = ParseJson(r.body);
    EXPECT_EQ(Text(answer, "dtu_serial"), "199980123456");
    EXPECT_EQ(answer.at("total_inverters").as_int64(), 2);
    EXPECT_EQ(answer.at("success_count").as_int64(), 2);
    EXPECT_EQ(answer.at("error_count").as_int64(), 0);
    const auto& first = answer.at("results").at(0);
    EXPECT_EQ(Text(first, "status"), "ok");
    EXPECT_EQ(Text(first, "inverter_id"), a);
    EXPECT_DOUBLE_EQ(first.at("power_ac").to_number<double>(), 100.0);

    auto series = admin_.SeriesOf(tenant, a);
    EXPECT_EQ(series.size(), 8u + 12u + 2u);  // AC side and flags, 2 channels x 6, the inverter's energies
    EXPECT_DOUBLE_EQ(admin_.Latest(tenant, series.at("energy_today")), 1.8);    // 1000 + 800 Wh
    EXPECT_DOUBLE_EQ(admin_.Latest(tenant, series.at("energy_total")), 900.8);  // 500.5 + 400.3 kWh, not truncated
    EXPECT_DOUBLE_EQ(admin_.Latest(tenant, series.at("dc2.current")), 1.6);
    EXPECT_DOUBLE_EQ(admin_.Latest(tenant, series.at("grid_frequency")), 50.01);
    auto shed = admin_.SeriesOf(tenant, b);
    EXPECT_DOUBLE_EQ(admin_.Latest(tenant, shed.at("power_ac")), 16.7);  // kept as measured
    EXPECT_EQ(shed.count("energy_today"), 0u);                            // no channels, no energy
}

TEST_F(OpenDtuTest, MixedUnknownAndForeignInverters) {
    const auto tenant = admin_.MakeTenant("dtu-mixed");
    const auto other = admin_.MakeTenant("dtu-neighbour");
    const auto key = admin_.MakeApiKey(tenant);
    admin_.MakeDevice(tenant, "Mine", R"("source":"opendtu","serial":"116100000011")");
    admin_.MakeDevice(other, "Theirs", R"("source":"opendtu","serial":"116100000012")");

    auto mixed = PushWith(key, Push({Inverter("116100000011", 5), Inverter("116100000013", 5)}));
    ASSERT_EQ(mixed.status, 207) << mixed.body;
    const auto answer = ParseJson(mixed.body);
    EXPECT_EQ(answer.at("success_count").as_int64(), 1);
    EXPECT_EQ(Text(answer.at("results").at(1), "status"), "error");
    EXPECT_EQ(Text(answer.at("results").at(1), "error"), "Inverter with serial 116100000013 not found");

    // The neighbour's inverter is as unknown to this key as a serial nobody has.
    auto foreign = PushWith(key, Push({Inverter("116100000012", 5), Inverter("116100000013", 5)}));
    ASSERT_EQ(foreign.status, 404) << foreign.body;
    EXPECT_EQ(Text(ParseJson(foreign.body).at("results").at(0), "error"), "Inverter with serial 116100000012 not found");

    // The stranger waits to be claimed; the neighbour's registered inverter does not.
    auto waiting = ParseJson(admin_.Call("GET", "/api/v1/unclaimed-devices").body);
    bool stranger = false;
    for (const auto& d : waiting.at("devices").as_array()) {
        EXPECT_NE(Text(d, "serial"), "116100000012");
        if (Text(d, "serial") == "116100000013") {
            stranger = true;
            EXPECT_EQ(Text(d, "source"), "opendtu");
            EXPECT_NE(Text(d, "details").find("199980123456"), std::string::npos);
        }
    }
    EXPECT_TRUE(stranger);
    auto claim = admin_.Call("POST", "/api/v1/tenants/" + tenant + "/devices/claim", R"({"serial":"116100000013"})");
    ASSERT_EQ(claim.status, 201) << claim.body;
}

TEST_F(OpenDtuTest, KeysAreRequiredAndChecked) {
    const auto tenant = admin_.MakeTenant("dtu-keys");
    const auto key = admin_.MakeApiKey(tenant);
    const auto body = Push({Inverter("116100000021", 5)});
    auto none = dtu_.Request("POST", "/api/opendtu/measurements", body);
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(Text(ParseJson(none.body).at("error"), "code"), "unauthenticated");
    EXPECT_EQ(PushWith(key + "x", body).status, 401);
    EXPECT_EQ(PushWith("ABCD-EFGH-JKMN-PQRS", body).status, 401);  // the predecessor's key shape
    auto bearer = dtu_.Request("POST", "/api/opendtu/measurements", body, {{"Authorization", "Bearer " + admin_.Token()}});
    EXPECT_EQ(bearer.status, 401);
    EXPECT_EQ(PushWith(key, Push({})).status, 201);  // nothing to store is not an error
}

TEST_F(OpenDtuTest, MalformedAndHostileBodiesAreRefusedAndTheServerGoesOn) {
    const auto tenant = admin_.MakeTenant("dtu-hostile");
    const auto key = admin_.MakeApiKey(tenant);
    const auto device = admin_.MakeDevice(tenant, "Roof", R"("source":"opendtu","serial":"116100000031")");
    auto expect_422 = [&](const std::string& body, const std::string& field) {
        auto r = PushWith(key, body);
        EXPECT_EQ(r.status, 422) << body.substr(0, 200) << " -> " << r.body.substr(0, 300);
        EXPECT_NE(r.body.find(field), std::string::npos) << r.body.substr(0, 300);
    };
    expect_422("{not json", "not JSON");
    expect_422(R"({"timestamp":"2026-01-01T00:00:00Z","dtu_serial":"1"})", "inverters: is required");
    expect_422(Push({R"({"serial":"116100000031","measurements":{"power_ac":"a lot"}})"}),
               "inverters[0].measurements.power_ac: must be a number");
    expect_422(Push({Inverter("116100000031", -50)}), "power_ac: must not be negative");
    expect_422(Push({R"({"serial":")" + std::string(300, 'x') + R"("})"}), "inverters[0].serial");
    std::vector<std::string> many(10'000, Inverter("116100000031", 1));
    expect_422(Push(many), "inverters: must have at most 100 entries");
    expect_422(Push({Inverter("116100000031", 1)}, "2026-13-01T00:00:00Z"), "timestamp");
    expect_422(Push({Inverter("116100000031", 1)}, "1999-01-01T00:00:00Z"), "");  // before the engine's range
    auto huge = PushWith(key, std::string(100 << 20, ' '));
    EXPECT_EQ(huge.status, 413);

    auto ok = PushWith(key, Push({Inverter("116100000031", 42.5)}));
    ASSERT_EQ(ok.status, 201) << ok.body;
    EXPECT_DOUBLE_EQ(admin_.Latest(tenant, admin_.SeriesOf(tenant, device).at("power_ac")), 42.5);
}

TEST_F(OpenDtuTest, ConcurrentPushesForTheSameInverterAllLand) {
    const auto tenant = admin_.MakeTenant("dtu-concurrent");
    const auto key = admin_.MakeApiKey(tenant);
    const auto device = admin_.MakeDevice(tenant, "Roof", R"("source":"opendtu","serial":"116100000041")");
    constexpr int kClients = 8;
    std::vector<std::thread> clients;
    std::vector<int> statuses(kClients);
    for (int i = 0; i < kClients; ++i) {
        clients.emplace_back([&, i] {
            HttpClient c(server_->port());
            // Every client its own second, so that each push is a distinct sample.
            auto r = c.Request("POST", "/api/opendtu/measurements",
                               Push({Inverter("116100000041", 10 + i, kTwoChannels)}, IsoNow(-100 + i)),
                               {{"x-api-key", key}});
            statuses[i] = r.status;
        });
    }
    for (auto& t : clients) t.join();
    for (int s : statuses) EXPECT_EQ(s, 201);
    const auto series = admin_.SeriesOf(tenant, device);
    EXPECT_EQ(series.size(), 22u);  // created once each, whoever came first
    auto range = ParseJson(admin_.Call("GET", "/api/v1/tenants/" + tenant + "/series/" + series.at("power_ac") +
                                                  "/range?from=-1h&points=100000")
                               .body);
    EXPECT_EQ(range.at("points").as_array().size(), static_cast<std::size_t>(kClients));
}

TEST_F(OpenDtuTest, InvertersAreManagedThroughTheApi) {
    const auto tenant = admin_.MakeTenant("dtu-manage");
    auto created = admin_.Call("POST", "/api/v1/tenants/" + tenant + "/devices",
                               R"({"name":"Roof","source":"opendtu","serial":"116100000051","rated_power_w":800,)"
                               R"("mppt_count":2})");
    ASSERT_EQ(created.status, 201) << created.body;
    const auto device = ParseJson(created.body);
    EXPECT_EQ(device.at("mppt_count").as_int64(), 2);
    const std::string path = "/api/v1/tenants/" + tenant + "/devices/" + Text(device, "id");

    auto edited = admin_.Call("PATCH", path, R"({"name":"Roof east","mppt_count":4,"rated_power_w":1600})");
    ASSERT_EQ(edited.status, 200) << edited.body;
    EXPECT_EQ(Text(ParseJson(edited.body), "name"), "Roof east");
    EXPECT_EQ(ParseJson(edited.body).at("mppt_count").as_int64(), 4);
    EXPECT_EQ(Text(ParseJson(edited.body), "serial"), "116100000051");
    EXPECT_EQ(admin_.Call("PATCH", path, R"({"mppt_count":0})").status, 422);
    EXPECT_EQ(admin_.Call("PATCH", path, R"({"source":"solarman"})").status, 422);
    EXPECT_EQ(admin_.Call("POST", "/api/v1/tenants/" + tenant + "/devices", R"({"name":"x","source":"nuclear"})").status,
              422);

    // The predecessor's metadata route, by serial, for system administrators.
    auto meta = admin_.Call("POST", "/inverter_metadata/116100000051", R"({"rated_power":2000,"number_of_mppts":4})");
    ASSERT_EQ(meta.status, 200) << meta.body;
    EXPECT_EQ(ParseJson(meta.body).at("rated_power").to_number<double>(), 2000);
    EXPECT_EQ(Text(ParseJson(meta.body), "serial_logger"), "116100000051");
    EXPECT_EQ(Text(ParseJson(meta.body), "sw_version"), "-");
    EXPECT_EQ(admin_.Call("POST", "/inverter_metadata/999", R"({"rated_power":1,"number_of_mppts":1})").status, 404);
    EXPECT_EQ(admin_.Call("POST", "/inverter_metadata/116100000051", R"({"rated_power":"x"})").status, 422);
    EXPECT_EQ(admin_.client().Request("POST", "/inverter_metadata/116100000051", R"({"rated_power":1})").status, 401);

    EXPECT_EQ(admin_.Call("DELETE", path).status, 200);
    EXPECT_EQ(admin_.Call("GET", path).status, 404);
}

TEST_F(OpenDtuTest, DashboardFiguresAndExportOfPushedInverters) {
    const auto tenant = admin_.MakeTenant("dtu-figures");
    const auto key = admin_.MakeApiKey(tenant);
    const auto a = admin_.MakeDevice(tenant, "Garage", R"("source":"opendtu","serial":"116100000081")");
    const auto b = admin_.MakeDevice(tenant, "Shed", R"("source":"opendtu","serial":"116100000082")");
    // Ten pushes a minute apart, the last one now: A at 100 W with channels, B at 50 W without.
    const std::int64_t now_s = WallMs() / 1000;
    for (int i = 9; i >= 0; --i) {
        auto r = PushWith(key, Push({Inverter("116100000081", 100, kTwoChannels), Inverter("116100000082", 50)},
                                    IsoNow(-60 * i, now_s)));
        ASSERT_EQ(r.status, 201) << r.body;
    }
    const std::string base = "/api/v1/tenants/" + tenant;

    auto home = ParseJson(admin_.Call("GET", base + "/inverters").body);
    ASSERT_EQ(home.at("inverters").as_array().size(), 2u);
    EXPECT_EQ(Text(home, "time_zone"), "Europe/Berlin");
    const auto& total = home.at("total");
    EXPECT_DOUBLE_EQ(total.at("current").at("watts").to_number<double>(), 150);
    EXPECT_TRUE(total.at("current").at("fresh").as_bool());
    EXPECT_EQ(Text(total, "today_source"), "integrated");  // B has no counter of its own

    auto one = ParseJson(admin_.Call("GET", base + "/inverters/" + a).body);
    EXPECT_EQ(Text(one.at("today"), "today_source"), "device");
    EXPECT_DOUBLE_EQ(one.at("today").at("today_kwh").to_number<double>(), 0);  // the counter stood still
    EXPECT_DOUBLE_EQ(one.at("today").at("peak").at("watts").to_number<double>(), 100);
    EXPECT_DOUBLE_EQ(one.at("today").at("last_hour_average_w").to_number<double>(), 100);
    ASSERT_EQ(one.at("channels").as_array().size(), 2u);
    EXPECT_DOUBLE_EQ(one.at("channels").at(1).at("voltage").to_number<double>(), 30);

    auto curve = ParseJson(admin_.Call("GET", base + "/power?range=1h").body);
    ASSERT_EQ(curve.at("points").as_array().size(), 10u);
    for (const auto& p : curve.at("points").as_array()) EXPECT_DOUBLE_EQ(p.at(1).to_number<double>(), 150);
    EXPECT_EQ(ParseJson(admin_.Call("GET", base + "/inverters/" + b + "/power?range=6h").body)
                  .at("points").as_array().size(), 10u);
    // Today's and yesterday's hourly bars: the ten minutes may straddle local midnight.
    double kwh = 0;
    for (const char* date : {"now", "-1d"}) {
        auto bars = admin_.Call("GET", base + "/inverters/" + b + "/energy?period=day&date=" + date);
        ASSERT_EQ(bars.status, 200) << bars.body;
        const auto bar_list = ParseJson(bars.body);
        EXPECT_EQ(Text(bar_list, "source"), "integrated");
        for (const auto& bar : bar_list.at("bars").as_array()) kwh += bar.at("energy_kwh").to_number<double>();
    }
    EXPECT_NEAR(kwh, 50.0 * 9 / 60 / 1000, 1e-9);  // nine minutes at 50 W
    auto channels = ParseJson(admin_.Call("GET", base + "/inverters/" + a + "/channels?range=1h").body);
    EXPECT_EQ(channels.at("channels").at(0).at("power").as_array().size(), 10u);

    auto csv = admin_.Call("GET", base + "/inverters/" + a + "/export.csv?range=1h");
    ASSERT_EQ(csv.status, 200);
    EXPECT_EQ(csv.Header("content-type"), "text/csv; charset=utf-8");
    EXPECT_NE(csv.body.find("# meterhub export of \"Garage\" (opendtu 116100000081)"), std::string::npos);
    EXPECT_NE(csv.body.find("time (Europe/Berlin),power_ac (W),"), std::string::npos) << csv.body.substr(0, 300);
    EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 2 + 10);  // title, header, ten rows

    EXPECT_EQ(admin_.Call("GET", base + "/power?range=2w").status, 422);
    EXPECT_EQ(admin_.Call("GET", base + "/inverters/" + a + "/energy?period=decade").status, 422);
    // Another tenant's path to the same device finds nothing.
    const auto other = admin_.MakeTenant("dtu-figures-other");
    EXPECT_EQ(admin_.Call("GET", "/api/v1/tenants/" + other + "/inverters/" + a).status, 404);
    EXPECT_EQ(admin_.Call("GET", "/api/v1/tenants/" + other + "/inverters/" + a + "/export.csv").status, 404);
}

TEST_F(OpenDtuTest, TheSimulatorPushesThroughTheRealPath) {
    const auto tenant = admin_.MakeTenant("dtu-sim");
    const auto key = admin_.MakeApiKey(tenant);
    const auto a = admin_.MakeDevice(tenant, "Sim 1", R"("source":"opendtu","serial":"116200000000")");
    const auto b = admin_.MakeDevice(tenant, "Sim 2", R"("source":"opendtu","serial":"116200000001")");
    auto run = RunMeterhub({"sim", "opendtu", "--dtus", "1", "--inverters", "2", "--interval", "0", "--rounds", "3",
                            "--first-serial", "116200000000", "--port", std::to_string(server_->port()), "--key", key});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_NE(run.out.find("stored 3 rounds, failed 0"), std::string::npos) << run.out;
    for (const auto& device : {a, b}) {
        auto series = admin_.SeriesOf(tenant, device);
        EXPECT_EQ(series.size(), 22u);
        EXPECT_GE(admin_.Latest(tenant, series.at("grid_voltage")), 200);
    }
    // Without a key it refuses to start; with a wrong one every push fails and it says so.
    EXPECT_NE(RunMeterhub({"sim", "opendtu", "--rounds", "1", "--port", std::to_string(server_->port())}).exit_code, 0);
    auto wrong = RunMeterhub({"sim", "opendtu", "--rounds", "1", "--interval", "0", "--port",
                              std::to_string(server_->port()), "--key", "nope"});
    EXPECT_NE(wrong.exit_code, 0);
    EXPECT_NE(wrong.err.find("HTTP 401"), std::string::npos) << wrong.err;
}

// Upstream OpenDTU over MQTT, through a real Mosquitto: topics become the push path's series, strangers become
// unclaimed devices, and losing the broker shows in /readyz until the reconnect.
class OpenDtuMqttTest : public ::testing::Test {
  protected:
    void SetUp() override {
        server_ = std::make_unique<ServerProcess>(std::vector<std::string>{
            "--set", "mqtt.host=127.0.0.1", "--set", "mqtt.port=" + std::to_string(broker_.port()), "--set",
            "mqtt.reconnect_max_s=1", "--set", "opendtu.base_topic=pv/"});
        admin_ = std::make_unique<AdminSession>(server_->port());
        net::MqttOptions o;
        o.port = broker_.port();
        o.client_id = "opendtu-under-test";
        o.min_backoff = std::chrono::milliseconds(50);
        o.max_backoff = std::chrono::milliseconds(200);
        dtu_ = *net::MqttClient::Start(o, no_handlers_);
        ASSERT_TRUE(WaitFor([&] { return dtu_->connected(); }));
    }

    bool Ready() { return admin_->client().Request("GET", "/readyz").status == 200; }

    // Publishes the topic until the server has stored `value` in `series` (the subscription may lag the start).
    bool PublishUntilStored(const std::string& tenant, const std::string& topic, const std::string& payload,
                            const std::function<std::string()>& series, double value) {
        return WaitFor([&] {
            (void)dtu_->Publish(topic, payload);
            const std::string id = series();
            return !id.empty() && admin_->Latest(tenant, id) == value;
        });
    }

    MosquittoProcess broker_;
    InlineExecutor no_handlers_;  // the simulated DTU only publishes
    std::unique_ptr<ServerProcess> server_;
    std::unique_ptr<AdminSession> admin_;
    std::unique_ptr<net::MqttClient> dtu_;
};

TEST_F(OpenDtuMqttTest, TopicsOfRegisteredInvertersBecomeSeries) {
    const auto tenant = admin_->MakeTenant("mqtt-home");
    const auto device = admin_->MakeDevice(tenant, "Roof", R"("source":"opendtu","serial":"116100000061")");
    auto series = [&](const char* metric) {
        return [this, tenant, device, metric] {
            auto all = admin_->SeriesOf(tenant, device);
            return all.count(metric) ? all.at(metric) : std::string();
        };
    };
    ASSERT_TRUE(WaitFor([&] { return Ready(); }));
    ASSERT_TRUE(PublishUntilStored(tenant, "pv/116100000061/0/power", "123.4", series("power_ac"), 123.4));
    ASSERT_TRUE(PublishUntilStored(tenant, "pv/116100000061/0/yieldday", "1337", series("energy_today"), 1.337));
    ASSERT_TRUE(PublishUntilStored(tenant, "pv/116100000061/2/voltage", "31.2", series("dc2.voltage"), 31.2));
    ASSERT_TRUE(dtu_->Publish("pv/116100000061/device/fwbuildversion", "10012"));
    ASSERT_TRUE(WaitFor([&] {
        auto d = ParseJson(admin_->Call("GET", "/api/v1/tenants/" + tenant + "/devices/" + device).body);
        return Text(d, "firmware") == "10012";
    }));

    // A stranger's values are not stored, but it waits to be claimed.
    ASSERT_TRUE(WaitFor([&] {
        (void)dtu_->Publish("pv/116100000069/0/power", "5");
        return admin_->Call("GET", "/api/v1/unclaimed-devices").body.find("116100000069") != std::string::npos;
    }));
    auto metrics = admin_->client().Request("GET", "/metrics").body;
    EXPECT_NE(metrics.find("meterhub_opendtu_mqtt_samples_total"), std::string::npos);
}

TEST_F(OpenDtuMqttTest, TheSimulatorPublishesUpstreamTopics) {
    const auto tenant = admin_->MakeTenant("mqtt-sim");
    const auto device = admin_->MakeDevice(tenant, "Sim", R"("source":"opendtu","serial":"116300000000")");
    ASSERT_TRUE(WaitFor([&] { return Ready(); }));
    // Rounds until the server has the values (its subscription may still be on the way at the first one).
    ASSERT_TRUE(WaitFor([&] {
        auto run = RunMeterhub({"sim", "opendtu", "--mqtt", "--port", std::to_string(broker_.port()), "--base-topic",
                                "pv/", "--inverters", "1", "--first-serial", "116300000000", "--rounds", "1"});
        EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
        auto series = admin_->SeriesOf(tenant, device);
        return series.count("dc2.energy_total") > 0 && series.count("grid_voltage") > 0 &&
               admin_->Latest(tenant, series.at("grid_voltage")) > 200;
    }));
}

TEST_F(OpenDtuMqttTest, ReadinessFollowsTheBroker) {
    ASSERT_TRUE(WaitFor([&] { return Ready(); }));
    broker_.Stop();
    ASSERT_TRUE(WaitFor([&] { return !Ready(); }));
    auto ready = admin_->client().Request("GET", "/readyz");
    EXPECT_EQ(ready.status, 503);
    EXPECT_NE(Text(ParseJson(ready.body).at("checks"), "mqtt").find("not connected"), std::string::npos);
    broker_.Start();
    ASSERT_TRUE(WaitFor([&] { return Ready(); }));

    // And it reads again after the reconnect.
    const auto tenant = admin_->MakeTenant("mqtt-again");
    const auto device = admin_->MakeDevice(tenant, "Roof", R"("source":"opendtu","serial":"116100000071")");
    ASSERT_TRUE(WaitFor([&] { return dtu_->connected(); }));
    ASSERT_TRUE(PublishUntilStored(
        tenant, "pv/116100000071/0/power", "77",
        [&] {
            auto all = admin_->SeriesOf(tenant, device);
            return all.count("power_ac") ? all.at("power_ac") : std::string();
        },
        77));
}

}  // namespace
}  // namespace mh::testing
