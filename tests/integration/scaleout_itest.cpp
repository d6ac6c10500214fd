// Several meterhub instances on one PostgreSQL (the run's real server, tests/postgres_server.hpp): what one
// instance acknowledges, every other reads at once; a login, a token, a device and a key made on one work on
// another, and what one changes the other's caches forget at once; behind HAProxy, requests go to both and a SIGKILLed
// instance loses no acknowledged sample while the other carries on; and a writer killed with SIGKILL mid-ingest, beside
// another writing, loses no acknowledged sample.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "admin_session.hpp"
#include "core/clock.hpp"
#include "haproxy.hpp"
#include "postgres_server.hpp"
#include "process.hpp"
#include "server.hpp"

namespace mh::testing {
namespace {

std::string NewDatabase() {
    auto url = PostgresServer::Instance().CreateDatabase();
    EXPECT_TRUE(url) << url.error().message;
    return url ? *url : "";
}

TEST(ScaleOut, TwoInstancesOnOneDatabaseShareWhatEachAcknowledges) {
    const std::string url = NewDatabase();
    auto a = ServerProcess::OnPostgres(url, true);
    auto b = ServerProcess::OnPostgres(url, false);
    ASSERT_NE(a->port(), 0);
    ASSERT_NE(b->port(), 0);
    for (auto* instance : {a.get(), b.get()}) {
        EXPECT_EQ(HttpClient(instance->port()).Request("GET", "/readyz").status, 200);
    }
    // Log in on A; the token works on B.
    AdminSession on_a(a->port());
    const std::string tenant = on_a.MakeTenant("shared");
    const std::string device = on_a.MakeDevice(tenant, "meter", R"("source":"generic")");
    auto made = on_a.Call("POST", "/api/v1/tenants/" + tenant + "/series",
                          R"({"device":")" + device + R"(","metric":"power","unit":"W"})");
    ASSERT_EQ(made.status, 201) << made.body;
    HttpClient to_b(b->port());
    const std::vector<std::pair<std::string, std::string>> auth{{"Authorization", "Bearer " + on_a.Token()}};
    auto me = to_b.Request("GET", "/api/v1/me", "", auth);
    ASSERT_EQ(me.status, 200) << me.body;

    // The device and series made on A take samples on B, and what B acknowledges is on A at once: no
    // compaction, no cache, nothing but the database.
    std::string samples = "[";
    for (int i = 0; i < 60; ++i) {
        samples += (i ? "," : "") + std::string(R"({"device":")") + device + R"(","metric":"power","ts":)" +
                   std::to_string(1'780'000'000'000LL + i * 60'000LL) + R"(,"value":)" + std::to_string(100 + i) + "}";
    }
    samples += "]";
    auto stored = to_b.Request("POST", "/api/v1/tenants/" + tenant + "/samples", samples, auth);
    ASSERT_EQ(stored.status, 201) << stored.body;
    const auto series = on_a.SeriesOf(tenant, device);
    ASSERT_EQ(series.count("power"), 1u);
    EXPECT_EQ(on_a.Latest(tenant, series.at("power")), 159.0);
    auto range = on_a.Call("GET", "/api/v1/tenants/" + tenant + "/series/" + series.at("power") +
                                      "/range?from=1780000000000&to=1780003600000");
    ASSERT_EQ(range.status, 200) << range.body;
    EXPECT_EQ(ParseJson(range.body).at("points").as_array().size(), 60u);

    // A key made on A is known to B.
    const std::string key = on_a.MakeApiKey(tenant);
    auto keys = to_b.Request("GET", "/api/v1/tenants/" + tenant + "/api-keys", "", auth);
    ASSERT_EQ(keys.status, 200) << keys.body;
    EXPECT_NE(keys.body.find(R"("dtu")"), std::string::npos) << keys.body;
    auto with_key = to_b.Request("POST", "/api/v1/samples",
                                 R"([{"device":")" + device + R"(","metric":"power","ts":1780003600000,"value":7}])",
                                 {{"X-API-Key", key}});
    EXPECT_EQ(with_key.status, 201) << with_key.body;
    EXPECT_EQ(on_a.Latest(tenant, series.at("power")), 7.0);

    // A key revoked on A is refused on B well before B's key cache (5 s) would let it go: A told B.
    const std::string key_id = Text(ParseJson(keys.body).at("api_keys").at(0), "id");
    ASSERT_EQ(on_a.Call("DELETE", "/api/v1/tenants/" + tenant + "/api-keys/" + key_id).status, 200);
    EXPECT_TRUE(WaitFor(
        [&] {
            return to_b.Request("POST", "/api/v1/samples",
                                R"([{"device":")" + device + R"(","metric":"power","ts":1780003601000,"value":8}])",
                                {{"X-API-Key", key}})
                       .status == 401;
        },
        std::chrono::seconds(3)))
        << "B still takes the key A revoked";

    // A dashboard open on B hears of a sample committed on A (the journal's notice, LISTEN/NOTIFY).
    auto session =
        to_b.Request("POST", "/api/v1/auth/session", R"({"email":"admin@example.org","password":"admin password 1"})");
    ASSERT_EQ(session.status, 200) << session.body;
    const std::string set_cookie = session.Header("set-cookie");
    const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
    HttpClient events(b->port());
    events.SendRaw("GET /t/" + tenant + "/events HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n");
    const std::string head = events.ReadUntil("retry: 2000");
    ASSERT_NE(head.find("text/event-stream"), std::string::npos) << head;
    auto live = on_a.Call(
        "POST", "/api/v1/tenants/" + tenant + "/samples",
        R"([{"series":")" + series.at("power") + R"(","ts":)" + std::to_string(WallMs()) + R"(,"value":4321.5}])");
    ASSERT_EQ(live.status, 201) << live.body;
    const std::string event = events.ReadUntil(",4321.5]");
    EXPECT_NE(event.find("[\"" + series.at("power") + "\","), std::string::npos) << event;

    // A device deleted on A: B, which holds its series names from the pushes above, forgets them at once.
    ASSERT_EQ(on_a.Call("DELETE", "/api/v1/tenants/" + tenant + "/devices/" + device).status, 200);
    EXPECT_TRUE(WaitFor(
        [&] {
            return to_b.Request("POST", "/api/v1/tenants/" + tenant + "/samples",
                                R"([{"device":")" + device + R"(","metric":"power","ts":1780003602000,"value":9}])",
                                auth)
                       .status == 404;
        },
        std::chrono::seconds(3)))
        << "B still takes samples for the device A deleted";
}

constexpr int kSeries = 20;

// Per series metric, the timestamps a read-only instance exports for the load generator's device.
std::map<std::string, std::vector<std::string>> Exported(const std::string& url, const std::string& tenant) {
    auto devices = RunMeterhub({"--set", "storage.url=" + url, "device", "list", "--tenant", tenant});
    EXPECT_EQ(devices.exit_code, 0) << devices.err;
    std::istringstream table(devices.out);
    std::string line;
    std::getline(table, line);
    std::getline(table, line);
    const std::string device = line.substr(0, line.find(' '));
    auto csv = RunMeterhub({"--set", "storage.url=" + url, "export", "--tenant", tenant, "--device", device, "--from",
                            "2025-12-31T00:00:00Z", "--to", "2027-01-01T00:00:00Z"});
    EXPECT_EQ(csv.exit_code, 0) << csv.err;
    std::map<std::string, std::vector<std::string>> out;
    std::istringstream rows(csv.out);
    std::getline(rows, line);  // timestamp_utc,local_time,series_id,metric,unit,value
    while (std::getline(rows, line)) {
        std::vector<std::string> cells;
        std::istringstream row(line);
        for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
        out[cells.at(3)].push_back(cells.at(0));
    }
    return out;
}

TEST(ScaleOut, SigkillOfOneWriterLosesNoAcknowledgedSampleAndTheOtherCarriesOn) {
    const std::string url = NewDatabase();
    auto load = [&](const std::string& tenant, int samples) {
        return std::make_unique<Background>(
            std::vector<std::string>{"--set", "storage.url=" + url, "--log-level", "warn", "sim", "load", "--tenant",
                                     tenant, "--series", std::to_string(kSeries), "--samples", std::to_string(samples),
                                     "--batch", "200", "--start", "2026-01-01T00:00:00Z", "--interval", "60"});
    };
    std::int64_t acked = 0;
    {
        auto killed = load("killed", 20000);
        auto other = load("other", 2000);
        while (auto line = killed->ReadLine()) {
            if (line->rfind("acked ", 0) == 0) acked = std::stoll(line->substr(6));
            if (acked >= 60'000) break;
        }
        ASSERT_GE(acked, 60'000) << "the load generator ended early";
        EXPECT_EQ(killed->Stop(SIGKILL), 128 + SIGKILL);
        EXPECT_EQ(other->Wait(), 0);  // the other instance finishes its work
    }
    const auto exported = Exported(url, "killed");
    std::int64_t total = 0;
    for (int k = 0; k < kSeries; ++k) {
        const std::string metric = "load." + std::to_string(k);
        const auto it = exported.find(metric);
        const std::vector<std::string> none;
        const auto& ts = it == exported.end() ? none : it->second;
        // Step-major order: sample i is series i % kSeries at step i / kSeries.
        const std::int64_t must = acked / kSeries + (k < acked % kSeries ? 1 : 0);
        ASSERT_GE(static_cast<std::int64_t>(ts.size()), must) << metric << " lost acknowledged samples";
        for (std::size_t i = 1; i < ts.size(); ++i) ASSERT_LT(ts[i - 1], ts[i]) << metric << " has a duplicate";
        total += static_cast<std::int64_t>(ts.size());
    }
    EXPECT_GE(total, acked);
    const auto others = Exported(url, "other");
    std::int64_t other_total = 0;
    for (const auto& [metric, ts] : others) other_total += static_cast<std::int64_t>(ts.size());
    EXPECT_EQ(other_total, 2000 * kSeries);
}

TEST(ScaleOut, BehindHaproxyBothServeAndAKilledInstanceLosesNoAcknowledgedSample) {
    const std::string url = NewDatabase();
    auto a = ServerProcess::OnPostgres(url, true);
    auto b = ServerProcess::OnPostgres(url, false);
    HaproxyProcess proxy({{"a", a->port(), a->solarman_port()}, {"b", b->port(), b->solarman_port()}});
    ASSERT_TRUE(proxy.ready()) << "HAProxy did not come up";
    AdminSession admin(proxy.http_port());
    const std::string tenant = admin.MakeTenant("balanced");
    const std::string device = admin.MakeDevice(tenant, "meter", R"("source":"generic")");
    auto made = admin.Call("POST", "/api/v1/tenants/" + tenant + "/series",
                           R"({"device":")" + device + R"(","metric":"power","unit":"W"})");
    ASSERT_EQ(made.status, 201) << made.body;

    // Batches of 10 samples with timestamps of their own; a batch counts as stored only on its 201.
    constexpr int kBatch = 10;
    constexpr std::int64_t kStart = 1'780'000'000'000;
    std::set<std::int64_t> acked;
    std::set<std::string> served_by;
    int sent = 0, refused = 0;
    auto post = [&] {
        std::string body = "[";
        std::vector<std::int64_t> stamps;
        for (int i = 0; i < kBatch; ++i) {
            const std::int64_t ts = kStart + (std::int64_t{sent} * kBatch + i) * 1000;
            stamps.push_back(ts);
            body += (i ? "," : "") + std::string(R"({"device":")") + device + R"(","metric":"power","ts":)" +
                    std::to_string(ts) + R"(,"value":)" + std::to_string(i) + "}";
        }
        body += "]";
        ++sent;
        try {
            HttpClient client(proxy.http_port());
            auto r = client.Request("POST", "/api/v1/tenants/" + tenant + "/samples", body,
                                    {{"Authorization", "Bearer " + admin.Token()}});
            if (r.status == 201) {
                acked.insert(stamps.begin(), stamps.end());
                served_by.insert(r.Header("x-served-by"));
            } else {
                EXPECT_GE(r.status, 500) << r.body;  // an instance going away, never a client error
                ++refused;
            }
        } catch (const std::exception&) {
            ++refused;  // the connection dropped: not acknowledged
        }
    };
    for (int i = 0; i < 40; ++i) post();
    EXPECT_EQ(served_by, (std::set<std::string>{"a", "b"})) << "round robin should use both instances";
    EXPECT_EQ(refused, 0);
    EXPECT_EQ(a->Stop(SIGKILL), 128 + SIGKILL);  // mid-ingest: between two batches, or while one is in flight
    while (static_cast<int>(acked.size()) < 120 * kBatch && sent < 400) post();
    EXPECT_GE(static_cast<int>(acked.size()), 120 * kBatch) << refused << " refused";
    EXPECT_TRUE(served_by.count("b"));

    // Everything acknowledged is there, once, read through what is left.
    std::set<std::string> exported;
    for (const auto& [metric, stamps] : Exported(url, "balanced")) {
        for (std::size_t i = 1; i < stamps.size(); ++i) ASSERT_LT(stamps[i - 1], stamps[i]) << "a duplicate";
        exported.insert(stamps.begin(), stamps.end());
    }
    for (std::int64_t ts : acked) {
        ASSERT_TRUE(exported.count(FormatUtc(FromMillis(ts)))) << FormatUtc(FromMillis(ts)) << " was lost";
    }
    AdminSession after(proxy.http_port());
    const auto series = after.SeriesOf(tenant, device);
    EXPECT_FALSE(std::isnan(after.Latest(tenant, series.at("power"))));
}

TEST(ScaleOut, WhilePostgresqlIsDownIngestAnswers503AndReadyzSaysSoThenItRecoversByItself) {
    auto pg = PostgresServer::Private();  // one this test may stop
    auto url = pg->CreateDatabase();
    ASSERT_TRUE(url) << url.error().message;
    auto a = ServerProcess::OnPostgres(*url, true);
    AdminSession admin(a->port());
    const std::string tenant = admin.MakeTenant("outage");
    const std::string device = admin.MakeDevice(tenant, "meter", R"("source":"generic")");
    auto made = admin.Call("POST", "/api/v1/tenants/" + tenant + "/series",
                           R"({"device":")" + device + R"(","metric":"power","unit":"W"})");
    ASSERT_EQ(made.status, 201) << made.body;
    const std::string series = Text(ParseJson(made.body), "id");
    auto push = [&](std::int64_t ts, double value) {
        return admin.Call("POST", "/api/v1/tenants/" + tenant + "/samples",
                          R"([{"series":")" + series + R"(","ts":)" + std::to_string(ts) + R"(,"value":)" +
                              std::to_string(value) + "}]");
    };
    ASSERT_EQ(push(1'780'000'000'000, 1).status, 201);

    ASSERT_TRUE(pg->Stop());
    auto refused = push(1'780'000'060'000, 2);
    EXPECT_EQ(refused.status, 503) << refused.body;  // never a 2xx for what is not committed
    EXPECT_NE(refused.body.find("\"error\""), std::string::npos) << refused.body;
    HttpClient probe(a->port());
    auto ready = probe.Request("GET", "/readyz");
    EXPECT_EQ(ready.status, 503) << ready.body;
    EXPECT_EQ(probe.Request("GET", "/healthz").status, 200);  // alive, just not ready

    ASSERT_TRUE(pg->Start());
    EXPECT_TRUE(WaitFor([&] { return HttpClient(a->port()).Request("GET", "/readyz").status == 200; },
                        std::chrono::seconds(30)));
    EXPECT_TRUE(WaitFor([&] { return push(1'780'000'120'000, 3).status == 201; }, std::chrono::seconds(30)));
    EXPECT_EQ(admin.Latest(tenant, series), 3.0);
    auto range = admin.Call(
        "GET", "/api/v1/tenants/" + tenant + "/series/" + series + "/range?from=1780000000000&to=1780000200000");
    ASSERT_EQ(range.status, 200) << range.body;
    EXPECT_EQ(ParseJson(range.body).at("points").as_array().size(), 2u);  // the refused sample is not there
}

}  // namespace
}  // namespace mh::testing
