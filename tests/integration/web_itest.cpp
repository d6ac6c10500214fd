// The web pages against the real binary: sessions and CSRF, escaping, tenant and role checks, cached
// compressed assets within the page-weight budget, and live events after a commit.
#include <gtest/gtest.h>

#include <regex>

#include "http_client.hpp"
#include "integration/admin_session.hpp"
#include "integration/server.hpp"

namespace mh::testing {
namespace {

std::string Find(const std::string& text, const std::string& pattern) {
    std::smatch m;
    return std::regex_search(text, m, std::regex(pattern)) ? m[1].str() : std::string();
}

// A browser: keeps the cookies the server sets and sends forms with the page's CSRF token.
class Browser {
  public:
    explicit Browser(std::uint16_t port) : client_(port) {}

    HttpResponse Get(const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {}) {
        headers.emplace_back("Cookie", Cookies());
        auto r = client_.Request("GET", target, "", headers);
        Keep(r);
        if (const auto token = Find(r.body, R"(name="_csrf" value="([0-9a-f]+)\")"); !token.empty()) csrf_ = token;
        return r;
    }
    HttpResponse Post(const std::string& target, std::string form, bool with_csrf = true) {
        if (with_csrf) form += "&_csrf=" + csrf_;
        auto r = client_.Request("POST", target, form,
                                 {{"Cookie", Cookies()}, {"Content-Type", "application/x-www-form-urlencoded"}});
        Keep(r);
        return r;
    }
    void LogIn(const std::string& email, const std::string& password) {
        Get("/login");
        auto r = Post("/login", "email=" + email + "&password=" + password);
        ASSERT_EQ(r.status, 303) << r.body.substr(0, 500);
        ASSERT_FALSE(cookies_["mh_session"].empty());
    }
    HttpClient& client() { return client_; }
    std::string Cookies() const {
        std::string out;
        for (const auto& [name, value] : cookies_) out += (out.empty() ? "" : "; ") + name + "=" + value;
        return out;
    }
    std::string last_set_cookie;

  private:
    void Keep(const HttpResponse& r) {
        const std::string set = r.Header("set-cookie");
        if (set.empty()) return;
        last_set_cookie = set;
        const auto eq = set.find('=');
        cookies_[set.substr(0, eq)] = set.substr(eq + 1, set.find(';') - eq - 1);
    }
    HttpClient client_;
    std::map<std::string, std::string> cookies_;
    std::string csrf_;
};

class WebTest : public ::testing::Test {
  protected:
    // A household tenant with an owner who logs in on the web, and an inverter with a power series.
    void SetUp() override {
        tenant_ = admin_.MakeTenant("home");
        ASSERT_EQ(
            admin_.Call("POST", "/api/v1/auth/signup", R"({"email":"owner@example.org","password":"owner password"})")
                .status,
            201);
        ASSERT_EQ(admin_
                      .Call("PUT", "/api/v1/tenants/" + tenant_ + "/members",
                            R"({"email":"owner@example.org","role":"owner"})")
                      .status,
                  200);
        auto device = admin_.Call("POST", "/api/v1/tenants/" + tenant_ + "/devices",
                                  R"({"name":"<script>alert(1)</script>","serial":"W1"})");
        ASSERT_EQ(device.status, 201) << device.body;
        device_ = Text(ParseJson(device.body), "id");
        auto series = admin_.Call("POST", "/api/v1/tenants/" + tenant_ + "/series",
                                  R"({"device":")" + device_ + R"(","metric":"power_ac","unit":"W"})");
        ASSERT_EQ(series.status, 201) << series.body;
        series_ = Text(ParseJson(series.body), "id");
    }

    ServerProcess server_;
    AdminSession admin_{server_.port()};
    std::string tenant_, device_, series_;
};

TEST_F(WebTest, LoginNeedsTheFormTokenAndSetsAnHttpOnlySessionCookie) {
    Browser browser(server_.port());
    auto page = browser.Get("/login");
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(browser.last_set_cookie.find("HttpOnly"), std::string::npos) << browser.last_set_cookie;
    EXPECT_EQ(browser.Post("/login", "email=owner@example.org&password=owner+password", false).status, 403);
    auto wrong = browser.Post("/login", "email=owner@example.org&password=nope");
    EXPECT_EQ(wrong.status, 401);
    EXPECT_NE(wrong.body.find("id=\"form-error\""), std::string::npos);
    auto ok = browser.Post("/login", "email=owner@example.org&password=owner+password&next=//evil.example/");
    EXPECT_EQ(ok.status, 303);
    EXPECT_EQ(ok.Header("location"), "/");  // never off-site
    EXPECT_NE(browser.last_set_cookie.find("mh_session="), std::string::npos);
    EXPECT_NE(browser.last_set_cookie.find("HttpOnly"), std::string::npos);
    EXPECT_NE(browser.last_set_cookie.find("SameSite=Lax"), std::string::npos);
    // Logged in, a state-changing form still needs the session's token.
    EXPECT_EQ(browser.Post("/t/" + tenant_ + "/keys", "name=x&_csrf=00000000000000000000000000000000", false).status,
              403);
    EXPECT_EQ(browser.Post("/t/" + tenant_ + "/keys", "name=roof").status, 403);  // the pre-login token is done
    ASSERT_EQ(browser.Get("/t/" + tenant_ + "/keys").status, 200);
    EXPECT_EQ(browser.Post("/t/" + tenant_ + "/keys", "name=roof").status, 201);
}

TEST_F(WebTest, PagesEscapeEverythingAndCheckTenantAndRole) {
    Browser owner(server_.port());
    owner.LogIn("owner@example.org", "owner+password");
    for (const std::string& target : {"/t/" + tenant_ + "/inverters", "/t/" + tenant_ + "/inverters/" + device_}) {
        auto page = owner.Get(target);
        ASSERT_EQ(page.status, 200) << target;
        EXPECT_EQ(page.body.find("<script>alert"), std::string::npos) << target;
        EXPECT_NE(page.body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos) << target;
    }
    EXPECT_EQ(owner.Get("/admin").status, 403);

    // Someone else: not a member (404, as if the tenant did not exist), and a viewer cannot manage keys.
    ASSERT_EQ(
        admin_.Call("POST", "/api/v1/auth/signup", R"({"email":"viewer@example.org","password":"viewer password"})")
            .status,
        201);
    Browser viewer(server_.port());
    viewer.LogIn("viewer@example.org", "viewer+password");
    EXPECT_EQ(viewer.Get("/t/" + tenant_).status, 404);
    ASSERT_EQ(
        admin_
            .Call("PUT", "/api/v1/tenants/" + tenant_ + "/members", R"({"email":"viewer@example.org","role":"viewer"})")
            .status,
        200);
    EXPECT_EQ(viewer.Get("/t/" + tenant_).status, 200);
    EXPECT_EQ(viewer.Get("/t/" + tenant_ + "/keys").status, 403);
    EXPECT_EQ(viewer.Post("/t/" + tenant_ + "/inverters/" + device_ + "/delete", "").status, 403);
    // Logged out: pages send the browser to the login page.
    Browser stranger(server_.port());
    auto away = stranger.Get("/t/" + tenant_);
    EXPECT_EQ(away.status, 303);
    EXPECT_EQ(away.Header("location").rfind("/login?next=", 0), 0u);
    // Bad forms get a clear answer.
    EXPECT_EQ(owner.Post("/t/" + tenant_ + "/keys", "name=%zz").status, 400);
    auto wrong_type = owner.client().Request("POST", "/t/" + tenant_ + "/keys", "{}", {{"Cookie", owner.Cookies()}});
    EXPECT_EQ(wrong_type.status, 415);
    auto invalid = owner.Post("/t/" + tenant_ + "/inverters/new", "name=&serial=x");
    EXPECT_EQ(invalid.status, 422);
    EXPECT_NE(invalid.body.find("id=\"name-error\""), std::string::npos);
}

TEST_F(WebTest, AssetsAreCompressedCachedAndWithinTheBudget) {
    Browser owner(server_.port());
    owner.LogIn("owner@example.org", "owner+password");
    auto page = owner.Get("/t/" + tenant_ + "/inverters/" + device_);
    ASSERT_EQ(page.status, 200);
    std::size_t shipped = 0;
    const std::regex asset(R"((?:href|src)="(/static/[^"]+\?v=[0-9a-f]+)\")");
    int count = 0;
    for (auto it = std::sregex_iterator(page.body.begin(), page.body.end(), asset); it != std::sregex_iterator();
         ++it) {
        const std::string url = (*it)[1];
        auto r = owner.Get(url, {{"Accept-Encoding", "gzip"}});
        ASSERT_EQ(r.status, 200) << url;
        EXPECT_EQ(r.Header("content-encoding"), "gzip") << url;
        EXPECT_NE(r.Header("cache-control").find("immutable"), std::string::npos) << url;
        EXPECT_EQ(owner.Get(url, {{"If-None-Match", r.Header("etag")}}).status, 304) << url;
        shipped += r.body.size();
        ++count;
    }
    EXPECT_EQ(count, 6);  // Pico, uPlot's CSS, ours; htmx, uPlot, ours
    EXPECT_LE(shipped, 150u * 1024) << "JS+CSS shipped: " << shipped << " bytes gzip";
    RecordProperty("js_css_gzip_bytes", static_cast<int>(shipped));
    EXPECT_EQ(owner.Get("/static/nope.js").status, 404);
}

TEST_F(WebTest, ADashboardHearsOfCommittedSamplesOverServerSentEvents) {
    Browser owner(server_.port());
    owner.LogIn("owner@example.org", "owner+password");
    HttpClient events(server_.port());
    events.SendRaw("GET /t/" + tenant_ + "/events HTTP/1.1\r\nHost: x\r\nCookie: " + owner.Cookies() + "\r\n\r\n");
    const std::string head = events.ReadUntil("retry: 2000");
    EXPECT_NE(head.find("text/event-stream"), std::string::npos) << head;
    auto ingest =
        admin_.Call("POST", "/api/v1/tenants/" + tenant_ + "/samples",
                    R"([{"series":")" + series_ + R"(","ts":)" + std::to_string(WallMs()) + R"(,"value":1234.5}])");
    ASSERT_EQ(ingest.status, 201) << ingest.body;
    const std::string event = events.ReadUntil("]]");
    EXPECT_NE(event.find("event: samples"), std::string::npos) << event;
    EXPECT_NE(event.find("[\"" + series_ + "\","), std::string::npos) << event;
    EXPECT_NE(event.find(",1234.5]"), std::string::npos) << event;
    // Another tenant's member cannot listen.
    Browser other(server_.port());
    ASSERT_EQ(admin_.Call("POST", "/api/v1/auth/signup", R"({"email":"other@example.org","password":"other password"})")
                  .status,
              201);
    other.LogIn("other@example.org", "other+password");
    EXPECT_EQ(other.Get("/t/" + tenant_ + "/events").status, 404);
}

TEST_F(WebTest, DeletingAnInverterOnThePagesStopsIngestByItsNamesAtOnce) {
    const std::string key = admin_.MakeApiKey(tenant_);
    const auto by_name = [&](std::int64_t ts) {
        return admin_.client().Request(
            "POST", "/api/v1/samples",
            R"([{"device":")" + device_ + R"(","metric":"power_ac","ts":)" + std::to_string(ts) + R"(,"value":5}])",
            {{"X-API-Key", key}, {"Content-Type", "application/json"}});
    };
    const std::int64_t now = WallMs();
    auto before = by_name(now);
    ASSERT_EQ(before.status, 201) << before.body;  // the API now holds the device's series names in memory
    Browser owner(server_.port());
    owner.LogIn("owner@example.org", "owner+password");
    owner.Get("/t/" + tenant_ + "/inverters/" + device_ + "/edit");
    ASSERT_EQ(owner.Post("/t/" + tenant_ + "/inverters/" + device_ + "/delete", "").status, 303);
    auto after = by_name(now + 1);
    EXPECT_EQ(after.status, 404) << after.body;  // not the cached name of a deleted device
}

// The API and the pages are two doors to one account: they spend one budget of attempts, not one each.
TEST(WebAndApiLimits, LoginsThroughTheApiAndThePagesShareOneBudget) {
    ServerProcess server({"--set", "auth.login_attempts_per_minute=4"});
    HttpClient api(server.port());
    const std::string guess = R"({"email":"victim@example.org","password":"guess"})";
    Browser browser(server.port());
    ASSERT_EQ(browser.Get("/login").status, 200);
    // Four wrong guesses, two through each door: all are answered.
    EXPECT_EQ(api.Request("POST", "/api/v1/auth/login", guess).status, 401);
    EXPECT_EQ(browser.Post("/login", "email=victim@example.org&password=guess").status, 401);
    EXPECT_EQ(api.Request("POST", "/api/v1/auth/login", guess).status, 401);
    EXPECT_EQ(browser.Post("/login", "email=victim@example.org&password=guess").status, 401);
    // The budget is spent for both doors (each had used only two of its own four before they shared one).
    auto api_refused = api.Request("POST", "/api/v1/auth/login", guess);
    EXPECT_EQ(api_refused.status, 429) << api_refused.body;
    EXPECT_FALSE(api_refused.Header("retry-after").empty());
    auto page_refused = browser.Post("/login", "email=victim@example.org&password=guess");
    EXPECT_EQ(page_refused.status, 429);
    EXPECT_FALSE(page_refused.Header("retry-after").empty());
}

}  // namespace
}  // namespace mh::testing
