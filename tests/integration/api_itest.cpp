// The REST API of the real binary over real sockets: auth, CRUD, ingest, queries, export, isolation, limits.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "server.hpp"
#include "smtp_test_server.hpp"

namespace mh::testing {
namespace {

namespace json = boost::json;

json::value Parse(const std::string& body) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    EXPECT_FALSE(ec) << "not JSON: " << body.substr(0, 300);
    return v;
}

// Every error has the one shape.
void ExpectError(const HttpResponse& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    auto v = Parse(r.body);
    ASSERT_TRUE(v.is_object()) << r.body;
    const auto* error = v.as_object().if_contains("error");
    ASSERT_NE(error, nullptr) << r.body;
    EXPECT_EQ(error->at("code").as_string(), code) << r.body;
    EXPECT_FALSE(error->at("message").as_string().empty());
}

class ApiTest : public ::testing::Test {
  protected:
    // Generous login limits here; LoginIsRateLimited runs its own server with the defaults.
    static void SetUpTestSuite() { server_ = new ServerProcess({"--set", "auth.login_attempts_per_minute=100000"}); }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }

    HttpResponse Call(const std::string& method, const std::string& target, const std::string& body = "",
                      const std::string& token = "", std::vector<std::pair<std::string, std::string>> headers = {}) {
        if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
        return client_.Request(method, target, body, headers);
    }

    std::string Login(const std::string& email, const std::string& password) {
        auto r = Call("POST", "/api/v1/auth/login", R"({"email":")" + email + R"(","password":")" + password + "\"}");
        EXPECT_EQ(r.status, 200) << r.body;
        return std::string(Parse(r.body).at("token").as_string());
    }

    std::string AdminToken() { return Login("admin@example.org", "admin password 1"); }

    // A tenant with an owner user, a device and a power series; returns their ids and the owner's token.
    struct Household {
        std::string tenant, device, series, token;
    };
    Household MakeHousehold(const std::string& name) {
        const std::string admin = AdminToken();
        auto t = Call("POST", "/api/v1/tenants", R"({"name":")" + name + R"(","time_zone":"Europe/Berlin"})", admin);
        EXPECT_EQ(t.status, 201) << t.body;
        Household h;
        h.tenant = std::string(Parse(t.body).at("id").as_string());
        auto signup = Call("POST", "/api/v1/auth/signup",
                           R"({"email":")" + name + R"(@example.org","password":"a good password"})");
        EXPECT_EQ(signup.status, 201) << signup.body;
        auto member = Call("PUT", "/api/v1/tenants/" + h.tenant + "/members",
                           R"({"email":")" + name + R"(@example.org","role":"owner"})", admin);
        EXPECT_EQ(member.status, 200) << member.body;
        h.token = Login(name + "@example.org", "a good password");
        auto d = Call("POST", "/api/v1/tenants/" + h.tenant + "/devices",
                      R"({"name":"Roof","serial":"S-)" + name + "\"}", h.token);
        EXPECT_EQ(d.status, 201) << d.body;
        h.device = std::string(Parse(d.body).at("id").as_string());
        auto s = Call("POST", "/api/v1/tenants/" + h.tenant + "/series",
                      R"({"device":")" + h.device + R"(","metric":"power_ac","unit":"W"})", h.token);
        EXPECT_EQ(s.status, 201) << s.body;
        h.series = std::string(Parse(s.body).at("id").as_string());
        return h;
    }

    static ServerProcess* server_;
    HttpClient client_{server_->port()};
};

ServerProcess* ApiTest::server_ = nullptr;

TEST_F(ApiTest, OperationsEndpoints) {
    EXPECT_EQ(Call("GET", "/healthz").status, 200);
    auto ready = Call("GET", "/readyz");
    EXPECT_EQ(ready.status, 200) << ready.body;
    EXPECT_EQ(Parse(ready.body).at("checks").at("database").as_string(), "ok");
    auto metrics = Call("GET", "/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("meterhub_http_requests_total"), std::string::npos);
    EXPECT_NE(metrics.body.find("meterhub_ingest_queue_samples"), std::string::npos);
    EXPECT_NE(metrics.body.find("meterhub_http_open_connections"), std::string::npos);
    auto openapi = Call("GET", "/api/openapi.json");
    EXPECT_EQ(openapi.status, 200);
    auto doc = Parse(openapi.body);
    EXPECT_EQ(doc.at("openapi").as_string(), "3.0.3");
    EXPECT_TRUE(doc.at("paths").as_object().contains("/api/v1/tenants/{tenant}/samples"));
    auto docs = Call("GET", "/api/docs");
    EXPECT_EQ(docs.status, 200);
    EXPECT_NE(docs.body.find("/api/v1/auth/login"), std::string::npos);
    ExpectError(Call("GET", "/api/nope"), 404, "not_found");
    EXPECT_EQ(Call("GET", "/nope").status, 404);  // outside /api/ the web pages answer, in HTML
    ExpectError(Call("DELETE", "/healthz"), 405, "method_not_allowed");
}

TEST_F(ApiTest, LoginErrorsAreClear) {
    ExpectError(Call("POST", "/api/v1/auth/login", R"({"email":"admin@example.org","password":"wrong!"})"), 401,
                "unauthenticated");
    ExpectError(Call("POST", "/api/v1/auth/login", "{not json"), 422, "invalid_argument");
    ExpectError(Call("POST", "/api/v1/auth/login", R"({"email":5,"password":"x"})"), 422, "invalid_argument");
    ExpectError(Call("GET", "/api/v1/me"), 401, "unauthenticated");
    ExpectError(Call("GET", "/api/v1/me", "", "not.a.token"), 401, "unauthenticated");
    auto me = Call("GET", "/api/v1/me", "", AdminToken());
    EXPECT_EQ(me.status, 200) << me.body;
    EXPECT_TRUE(Parse(me.body).at("system_admin").as_bool());
}

TEST_F(ApiTest, LogoutRevokesTheToken) {
    const std::string token = AdminToken();
    EXPECT_EQ(Call("GET", "/api/v1/me", "", token).status, 200);
    auto refreshed = Call("POST", "/api/v1/auth/refresh", "", token);
    ASSERT_EQ(refreshed.status, 200) << refreshed.body;
    const std::string fresh(Parse(refreshed.body).at("token").as_string());
    ExpectError(Call("GET", "/api/v1/me", "", token), 401, "unauthenticated");  // refresh retired the old one
    EXPECT_EQ(Call("POST", "/api/v1/auth/logout", "", fresh).status, 200);
    ExpectError(Call("GET", "/api/v1/me", "", fresh), 401, "unauthenticated");
}

TEST_F(ApiTest, BrowserSessionsUseAnHttpOnlyCookieAndCsrfTokens) {
    auto login = Call("POST", "/api/v1/auth/session", R"({"email":"admin@example.org","password":"admin password 1"})");
    ASSERT_EQ(login.status, 200) << login.body;
    const std::string set_cookie = login.Header("set-cookie");
    EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
    EXPECT_NE(set_cookie.find("SameSite=Lax"), std::string::npos) << set_cookie;
    EXPECT_EQ(set_cookie.find("Secure"), std::string::npos) << "Secure only when auth.cookie_secure is set";
    ASSERT_TRUE(set_cookie.starts_with("mh_session="));
    const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
    const std::string csrf(Parse(login.body).at("csrf_token").as_string());
    ASSERT_FALSE(csrf.empty());

    // Reads need only the cookie.
    auto me = Call("GET", "/api/v1/me", "", "", {{"Cookie", "theme=dark; " + cookie}});
    EXPECT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(Parse(me.body).at("email").as_string(), "admin@example.org");

    // Writes need the CSRF token as well, and the right one.
    const std::string tenant = R"({"name":"csrf-test","time_zone":"UTC"})";
    ExpectError(Call("POST", "/api/v1/tenants", tenant, "", {{"Cookie", cookie}}), 403, "permission_denied");
    ExpectError(Call("POST", "/api/v1/tenants", tenant, "", {{"Cookie", cookie}, {"X-CSRF-Token", csrf + "0"}}), 403,
                "permission_denied");
    EXPECT_EQ(Call("POST", "/api/v1/tenants", tenant, "", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}).status, 201);

    // A forged cookie is nobody; logging out ends the session for good.
    ExpectError(Call("GET", "/api/v1/me", "", "", {{"Cookie", "mh_session=0123456789abcdef"}}), 401, "unauthenticated");
    ExpectError(Call("DELETE", "/api/v1/auth/session", "", "", {{"Cookie", cookie}}), 403, "permission_denied");
    auto logout = Call("DELETE", "/api/v1/auth/session", "", "", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
    EXPECT_EQ(logout.status, 200) << logout.body;
    EXPECT_NE(logout.Header("set-cookie").find("Max-Age=0"), std::string::npos);
    ExpectError(Call("GET", "/api/v1/me", "", "", {{"Cookie", cookie}}), 401, "unauthenticated");
    ExpectError(Call("POST", "/api/v1/auth/session", R"({"email":"admin@example.org","password":"nope"})"), 401,
                "unauthenticated");
}

TEST_F(ApiTest, IngestQueryAndExport) {
    auto h = MakeHousehold("ingest");
    const std::string base = "/api/v1/tenants/" + h.tenant;
    std::string samples = "{\"samples\":[";
    for (int i = 0; i < 120; ++i) {
        samples += (i ? "," : "") + std::string(R"({"series":")") + h.series + R"(","ts":)" +
                   std::to_string(1'780'000'000'000LL + i * 60'000LL) + R"(,"value":)" + std::to_string(1000 + i) + "}";
    }
    samples += "]}";
    auto stored = Call("POST", base + "/samples", samples, h.token);
    ASSERT_EQ(stored.status, 201) << stored.body;
    EXPECT_EQ(Parse(stored.body).at("stored").as_int64(), 120);
    EXPECT_FALSE(stored.Header("x-ratelimit-remaining").empty());

    auto latest = Call("GET", base + "/series/" + h.series + "/latest", "", h.token);
    ASSERT_EQ(latest.status, 200) << latest.body;
    EXPECT_EQ(Parse(latest.body).at("value").as_double(), 1119.0);

    auto range =
        Call("GET", base + "/series/" + h.series + "/range?from=1780000000000&to=1780007200000&points=10", "", h.token);
    ASSERT_EQ(range.status, 200) << range.body;
    EXPECT_LE(Parse(range.body).at("points").as_array().size(), 10u);

    // The device + metric form and the line format.
    auto by_name = Call(
        "POST", base + "/samples",
        R"([{"device":")" + h.device + R"(","metric":"power_ac","ts":"2026-05-28T20:00:00Z","value":5}])", h.token);
    EXPECT_EQ(by_name.status, 201) << by_name.body;
    auto lines = Call("POST", base + "/samples", "# a comment\n" + h.series + " 1780010000000 7.5\n", h.token,
                      {{"Content-Type", "text/plain"}});
    EXPECT_EQ(lines.status, 201) << lines.body;
    ExpectError(Call("POST", base + "/samples", h.series + " nope 7.5\n", h.token, {{"Content-Type", "text/plain"}}),
                422, "invalid_argument");

    auto csv = Call("GET", base + "/export?series=" + h.series + "&from=1779000000000&to=1781000000000", "", h.token);
    ASSERT_EQ(csv.status, 200) << csv.body;
    EXPECT_EQ(csv.Header("transfer-encoding"), "chunked");
    EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 1 + 120 + 2);
    auto exported = Call(
        "GET", base + "/export?device=" + h.device + "&from=1779000000000&to=1781000000000&format=json", "", h.token);
    ASSERT_EQ(exported.status, 200);
    EXPECT_EQ(Parse(exported.body).as_array().size(), 122u);
}

TEST_F(ApiTest, BadSamplesAreRefusedWholeWithTheirIndex) {
    auto h = MakeHousehold("badsamples");
    const std::string base = "/api/v1/tenants/" + h.tenant + "/samples";
    auto one = [&](const std::string& sample) { return Call("POST", base, "[" + sample + "]", h.token); };
    const std::string s = "\"series\":\"" + h.series + "\"";
    ExpectError(one("{" + s + R"(,"ts":1780000000000,"value":"high"})"), 422, "invalid_argument");
    ExpectError(one("{" + s + R"(,"ts":1780000000000})"), 422, "invalid_argument");
    ExpectError(one("{" + s + R"(,"ts":100,"value":1})"), 422, "invalid_argument");             // 1970
    ExpectError(one("{" + s + R"(,"ts":99999999999999,"value":1})"), 422, "invalid_argument");  // far future
    ExpectError(one("{" + s + R"(,"ts":"yesterday","value":1})"), 422, "invalid_argument");
    ExpectError(one(R"({"series":"12345","ts":1780000000000,"value":1})"), 404, "not_found");
    auto mixed =
        Call("POST", base,
             "[{" + s + R"(,"ts":1780000000000,"value":1},{)" + s + R"(,"ts":1780000060000,"value":"x"}])", h.token);
    ExpectError(mixed, 422, "invalid_argument");
    EXPECT_NE(mixed.body.find("samples[1].value"), std::string::npos) << mixed.body;
    auto latest = Call("GET", "/api/v1/tenants/" + h.tenant + "/series/" + h.series + "/latest", "", h.token);
    EXPECT_TRUE(Parse(latest.body).at("value").is_null()) << "a refused batch stored something: " << latest.body;
}

TEST_F(ApiTest, DeviceApiKeysIngestOnlyAndCanBeRevoked) {
    auto h = MakeHousehold("keys");
    auto created = Call("POST", "/api/v1/tenants/" + h.tenant + "/api-keys", R"({"name":"logger"})", h.token);
    ASSERT_EQ(created.status, 201) << created.body;
    const auto key_doc = Parse(created.body);
    const std::string key(key_doc.at("key").as_string());
    const std::string key_id(key_doc.at("id").as_string());
    const std::string body = R"([{"series":")" + h.series + R"(","ts":1780000000000,"value":3}])";
    auto stored = Call("POST", "/api/v1/samples", body, "", {{"X-API-Key", key}});
    EXPECT_EQ(stored.status, 201) << stored.body;
    ExpectError(Call("GET", "/api/v1/tenants/" + h.tenant + "/devices", "", "", {{"X-API-Key", key}}), 401,
                "unauthenticated");
    ExpectError(Call("POST", "/api/v1/samples", body, "", {{"X-API-Key", key + "x"}}), 401, "unauthenticated");
    // The list never shows the key itself.
    auto list = Call("GET", "/api/v1/tenants/" + h.tenant + "/api-keys", "", h.token);
    EXPECT_EQ(list.body.find(key), std::string::npos);
    EXPECT_EQ(Call("DELETE", "/api/v1/tenants/" + h.tenant + "/api-keys/" + key_id, "", h.token).status, 200);
    ExpectError(Call("POST", "/api/v1/samples", body, "", {{"X-API-Key", key}}), 401, "unauthenticated");
}

// Tenant isolation over HTTP: nothing of B is visible or changeable with A's token, and the answer is 404.
TEST_F(ApiTest, TenantsAreIsolated) {
    auto a = MakeHousehold("alpha");
    auto b = MakeHousehold("beta");
    const std::string b_base = "/api/v1/tenants/" + b.tenant;
    for (const auto& [method, target] :
         std::vector<std::pair<std::string, std::string>>{{"GET", b_base},
                                                          {"GET", b_base + "/devices"},
                                                          {"GET", b_base + "/devices/" + b.device},
                                                          {"DELETE", b_base + "/devices/" + b.device},
                                                          {"GET", b_base + "/series"},
                                                          {"GET", b_base + "/series/" + b.series + "/latest"},
                                                          {"GET", b_base + "/series/" + b.series + "/range"},
                                                          {"GET", b_base + "/export?series=" + b.series},
                                                          {"GET", b_base + "/members"},
                                                          {"GET", b_base + "/api-keys"}}) {
        ExpectError(Call(method, target, "", a.token), 404, "not_found");
    }
    // A's own tenant does not reach B's rows either.
    const std::string a_base = "/api/v1/tenants/" + a.tenant;
    ExpectError(Call("GET", a_base + "/devices/" + b.device, "", a.token), 404, "not_found");
    ExpectError(Call("GET", a_base + "/series/" + b.series + "/latest", "", a.token), 404, "not_found");
    ExpectError(Call("POST", a_base + "/samples", R"([{"series":")" + b.series + R"(","ts":1780000000000,"value":1}])",
                     a.token),
                404, "not_found");
    ExpectError(Call("PATCH", a_base + "/devices/" + b.device, R"({"name":"mine"})", a.token), 404, "not_found");
    // A sees its household and the home tenant its sign-up made, never B's.
    auto tenants = Call("GET", "/api/v1/tenants", "", a.token);
    const auto listed = Parse(tenants.body).at("tenants").as_array();
    EXPECT_EQ(listed.size(), 2u) << tenants.body;
    for (const auto& t : listed) EXPECT_NE(t.at("id").as_string(), b.tenant);
    EXPECT_EQ(Call("GET", b_base + "/devices/" + b.device, "", b.token).status, 200);  // untouched
}

TEST_F(ApiTest, HostileFieldsAreStoredAsTextAndReturnedAsValidJson) {
    auto h = MakeHousehold("hostile");
    const std::string base = "/api/v1/tenants/" + h.tenant + "/devices";
    for (const std::string name : {"<script>alert(1)</script>", "x'); DROP TABLE devices; --", "\xff\xfe broken utf-8",
                                   "quote \" backslash \\ newline \n"}) {
        json::object body{{"name", name}};
        std::string text = name == "\xff\xfe broken utf-8" ? R"({"name":"\u00ff broken"})" : json::serialize(body);
        auto r = Call("POST", base, text, h.token);
        EXPECT_EQ(r.status, 201) << r.body;
        EXPECT_EQ(r.body.find("<script>"), std::string::npos) << "HTML must be escaped in JSON: " << r.body;
    }
    // Raw invalid UTF-8 bytes inside a JSON string are refused by the parser.
    ExpectError(Call("POST", base, std::string("{\"name\":\"\xff\xfe\"}"), h.token), 422, "invalid_argument");
    auto list = Call("GET", base, "", h.token);
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(Parse(list.body).at("devices").as_array().size(), 5u);  // Roof + 4, and the table still exists
}

SmtpTestServer& MailServer() {
    static SmtpTestServer server;  // one for this binary
    return server;
}

// Signs up new@example.org on `server`, takes the link from the mail that arrives, and verifies with it.
void SignUpAndVerifyByMail(ServerProcess& server, const std::string& smtp_server, const std::string& login,
                           const std::string& from_header) {
    const auto before = MailServer().events();
    HttpClient client(server.port());
    auto signup =
        client.Request("POST", "/api/v1/auth/signup", R"({"email":"new@example.org","password":"a good password"})");
    ASSERT_EQ(signup.status, 201) << signup.body;
    const auto mail = MailServer().NextMail(before);
    ASSERT_EQ(mail.server, smtp_server) << "no e-mail reached the SMTP server";
    EXPECT_EQ(mail.login, login);
    EXPECT_EQ(mail.rcpt_tos, std::vector<std::string>{"new@example.org"});
    EXPECT_EQ(mail.mail_from, "meterhub@example.org");
    EXPECT_TRUE(mail.data.starts_with("From: " + from_header + "\r\n")) << mail.data;
    const auto at = mail.data.find("token=");
    ASSERT_NE(at, std::string::npos) << mail.data;
    const std::string token = mail.data.substr(at + 6, mail.data.find_first_of("\r\n", at) - at - 6);
    auto verified = client.Request("POST", "/api/v1/auth/verify", R"({"token":")" + token + "\"}");
    EXPECT_EQ(verified.status, 200) << verified.body;
}

// As with a real provider: port 587 style, STARTTLS required, a login, the server's certificate verified.
TEST(ApiMail, SignUpSendsTheVerificationLinkThroughStartTlsWithALogin) {
    ASSERT_TRUE(MailServer().ready());
    ServerProcess server(
        {"--set", "mail.host=localhost", "--set", "mail.port=" + std::to_string(MailServer().port("starttls")), "--set",
         "mail.security=starttls", "--set", std::string("mail.username=") + SmtpTestServer::kUser, "--set",
         std::string("mail.password=") + SmtpTestServer::kPassword, "--set", "mail.ca_file=" + MailServer().ca_file(),
         "--set", "mail.from=meterhub@example.org", "--set", "mail.from_name=Deye Hard"});
    SignUpAndVerifyByMail(server, "starttls", SmtpTestServer::kUser, "\"Deye Hard\" <meterhub@example.org>");
}

// The deprecated [smtp] keys keep their old meaning: plain SMTP to a relay, no login.
TEST(ApiMail, TheDeprecatedSmtpKeysStillReachAPlainRelay) {
    ASSERT_TRUE(MailServer().ready());
    ServerProcess server({"--set", "smtp.host=127.0.0.1", "--set",
                          "smtp.port=" + std::to_string(MailServer().port("plain")), "--set",
                          "smtp.from=meterhub@example.org"});
    SignUpAndVerifyByMail(server, "plain", "", "meterhub@example.org");
}

TEST(ApiLimits, LoginIsRateLimited) {
    ServerProcess server;
    HttpClient client(server.port());
    int limited = 0;
    for (int i = 0; i < 8; ++i) {
        auto r = client.Request("POST", "/api/v1/auth/login", R"({"email":"nobody@example.org","password":"guess"})");
        if (r.status == 429) {
            ++limited;
            EXPECT_FALSE(r.Header("retry-after").empty());
            ExpectError(r, 429, "rate_limited");
        }
    }
    EXPECT_GE(limited, 3);
}

TEST_F(ApiTest, ViewersCannotWrite) {
    auto h = MakeHousehold("viewers");
    auto signup = Call("POST", "/api/v1/auth/signup", R"({"email":"viewer@example.org","password":"a good password"})");
    ASSERT_EQ(signup.status, 201);
    ASSERT_EQ(Call("PUT", "/api/v1/tenants/" + h.tenant + "/members",
                   R"({"email":"viewer@example.org","role":"viewer"})", h.token)
                  .status,
              200);
    const std::string viewer = Login("viewer@example.org", "a good password");
    EXPECT_EQ(Call("GET", "/api/v1/tenants/" + h.tenant + "/devices", "", viewer).status, 200);
    ExpectError(Call("POST", "/api/v1/tenants/" + h.tenant + "/devices", R"({"name":"x"})", viewer), 403,
                "permission_denied");
    ExpectError(Call("POST", "/api/v1/tenants/" + h.tenant + "/samples",
                     R"([{"series":")" + h.series + R"(","ts":1780000000000,"value":1}])", viewer),
                403, "permission_denied");
    ExpectError(Call("POST", "/api/v1/tenants", R"({"name":"mine"})", viewer), 403, "permission_denied");
}

}  // namespace
}  // namespace mh::testing

namespace mh::testing {
namespace {

// Hostile traffic against the real binary: each gets a clear answer (or a closed connection), and the server
// keeps serving everyone else and keeps what it acknowledged.
TEST(ApiHostile, TheServerSurvivesAndStillServes) {
    ServerProcess server({"--set", "http.header_timeout_ms=500", "--set", "http.body_limit_kb=1024"});
    auto still_serves = [&] {
        HttpClient probe(server.port());
        EXPECT_EQ(probe.Request("GET", "/healthz").status, 200);
    };
    {  // a 100 MB body is refused by its announced length, before it is read
        HttpClient c(server.port());
        c.SendRaw("POST /api/v1/samples HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                  std::to_string(100 * 1024 * 1024) + "\r\n\r\n" + std::string(64 * 1024, '['));
        auto r = c.ReadResponse();
        EXPECT_EQ(r.status, 413);
        EXPECT_NE(r.body.find("\"error\""), std::string::npos);
    }
    still_serves();
    {  // a header flood
        HttpClient c(server.port());
        std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
        for (int i = 0; i < 2000; ++i) head += "X-Flood-" + std::to_string(i) + ": " + std::string(40, 'a') + "\r\n";
        c.SendRaw(head + "\r\n");
        EXPECT_EQ(c.ReadResponse().status, 431);
    }
    still_serves();
    {  // garbage instead of HTTP
        HttpClient c(server.port());
        c.SendRaw(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n", 40));
        EXPECT_EQ(c.ReadResponse().status, 400);
    }
    still_serves();
    {  // path traversal and NUL bytes in the path
        HttpClient c(server.port());
        EXPECT_EQ(c.Request("GET", "/api/../../etc/passwd").status, 400);
        HttpClient d(server.port());
        EXPECT_EQ(d.Request("GET", "/api/%2e%2e/%2e%2e/etc/passwd").status, 400);
        HttpClient e(server.port());
        EXPECT_EQ(e.Request("GET", "/healthz%00.json").status, 400);
    }
    {  // slowloris: a header byte now and then is cut off at header_timeout, while others are served
        constexpr auto kHeaderTimeout = std::chrono::milliseconds(500);  // as set above
        constexpr auto kMargin = std::chrono::seconds(2);                // scheduling and the probes' own requests
        HttpClient slow(server.port());
        slow.SendRaw("GET /healthz HTTP/1.1\r\n");
        const auto deadline = std::chrono::steady_clock::now() + kHeaderTimeout + kMargin;
        std::string received;
        HttpClient::CloseSeen seen = HttpClient::CloseSeen::kTimedOut;
        for (;;) {
            // The slow client's own pace: a byte every 50 ms, while watching for the server's close.
            seen = slow.AwaitClose(std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(50)),
                                   &received);
            if (seen != HttpClient::CloseSeen::kTimedOut || std::chrono::steady_clock::now() >= deadline) break;
            if (!slow.TrySendRaw("X")) {  // refused: the server is gone from this connection; see how it went
                seen = slow.AwaitClose(deadline, &received);
                break;
            }
            still_serves();
        }
        EXPECT_NE(seen, HttpClient::CloseSeen::kTimedOut)
            << "the server did not close a slowloris connection within header_timeout + " << kMargin.count() << " s";
        // Whatever came before the close is the 408 the server sends when it can.
        EXPECT_TRUE(received.empty() || received.starts_with("HTTP/1.1 408 ")) << received.substr(0, 200);
    }
    still_serves();
    {  // SQL and HTML in credentials and paths are just text
        HttpClient c(server.port());
        auto r = c.Request("POST", "/api/v1/auth/login", R"({"email":"' OR 1=1 --","password":"<script>x</script>"})");
        EXPECT_EQ(r.status, 401);
        EXPECT_EQ(c.Request("GET", "/api/v1/tenants/1%20OR%201=1/devices").status, 401);
    }
    still_serves();
    EXPECT_EQ(server.Stop(SIGTERM), 0);  // and it still shuts down cleanly
}

}  // namespace
}  // namespace mh::testing
