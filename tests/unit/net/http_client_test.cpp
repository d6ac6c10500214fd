// The libcurl HttpClient against real servers on loopback: tests/servers/http_test_server.py (HTTP and HTTPS with
// a throwaway certificate, started once for this binary) and, for timeouts, a socket that accepts connections
// but never answers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <thread>

#include "net/curl_http_client.hpp"
#include "script_server.hpp"
#include "test_support.hpp"

namespace mh::net {
namespace {

namespace json = boost::json;
using mh::testing::ScriptServer;
using mh::testing::TempDir;

struct Servers {
    TempDir dir;
    ScriptServer server{"http_test_server.py", {dir.path().string()}};
    std::string http = "http://127.0.0.1:" + server.Value("http");
    std::string https = "https://localhost:" + server.Value("https");
    std::string ca_file = dir.File("cert.pem");
};

Servers& Local() {
    static Servers servers;
    return servers;
}

std::unique_ptr<HttpClient> Client(HttpClientOptions options = {}) {
    auto client = MakeCurlHttpClient(std::move(options));
    if (!client) ADD_FAILURE() << client.error().message;
    return std::move(*client);
}

HttpRequest Get(std::string url) {
    HttpRequest request;
    request.url = std::move(url);
    return request;
}

// A loopback port whose connections the kernel completes (backlog) but nobody ever reads or answers.
class SilentListener {
  public:
    SilentListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
        ::listen(fd_, 8);
        socklen_t length = sizeof address;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
    }
    ~SilentListener() { ::close(fd_); }
    std::uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

TEST(HttpClient, GetAndPostCarryHeadersAndBodies) {
    ASSERT_TRUE(Local().server.ready());
    HttpClientOptions options;
    options.user_agent = "meterhub-test/1";
    auto client = Client(options);

    HttpRequest post = Get(Local().http + "/echo?x=1");
    post.method = "POST";
    post.headers = {{"Content-Type", "application/json"}, {"X-Test", "a value"}, {"X-Empty", ""}};
    post.body = R"({"a":1})";
    auto r = client->Send(post);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Header("x-echo").value_or(""), "yes") << "header names match case-insensitively";
    EXPECT_EQ(r->Header("CONTENT-TYPE").value_or(""), "application/json");
    EXPECT_FALSE(r->Header("x-missing"));
    EXPECT_EQ(r->final_url, Local().http + "/echo?x=1");
    auto echo = json::parse(r->body).as_object();
    EXPECT_EQ(echo.at("method"), "POST");
    EXPECT_EQ(echo.at("path"), "/echo?x=1");
    EXPECT_EQ(echo.at("body"), R"({"a":1})");
    const auto& headers = echo.at("headers").as_object();
    EXPECT_EQ(headers.at("x-test"), "a value");
    EXPECT_EQ(headers.at("x-empty"), "") << "a header with an empty value is sent, not dropped";
    EXPECT_EQ(headers.at("content-type"), "application/json");
    EXPECT_EQ(headers.at("user-agent"), "meterhub-test/1");
    EXPECT_FALSE(headers.contains("expect")) << "no 100-continue round trip";

    auto get = client->Send(Get(Local().http + "/echo"));
    ASSERT_TRUE(get) << get.error().message;
    EXPECT_EQ(json::parse(get->body).at("method"), "GET");
    EXPECT_EQ(json::parse(get->body).at("body"), "");

    for (const std::string method : {"PUT", "PATCH", "DELETE"}) {
        HttpRequest request = Get(Local().http + "/echo");
        request.method = method;
        request.body = method == "DELETE" ? "" : "payload of " + method;
        auto answer = client->Send(request);
        ASSERT_TRUE(answer) << answer.error().message;
        auto parsed = json::parse(answer->body);
        EXPECT_EQ(parsed.at("method").as_string(), method);
        EXPECT_EQ(parsed.at("body").as_string(), request.body);
    }

    HttpRequest head = Get(Local().http + "/bytes/10");
    head.method = "HEAD";
    auto headed = client->Send(head);
    ASSERT_TRUE(headed) << headed.error().message;
    EXPECT_EQ(headed->status, 200);
    EXPECT_EQ(headed->body, "");
    EXPECT_EQ(headed->Header("content-length").value_or(""), "10");
}

TEST(HttpClient, AnyStatusIsAResponseNotAnError) {
    auto client = Client();
    for (int status : {201, 204, 400, 404, 500, 503}) {
        auto r = client->Send(Get(Local().http + "/status/" + std::to_string(status)));
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(r->status, status);
        if (status != 204) {
            EXPECT_EQ(r->body, "status " + std::to_string(status));
        }
    }
}

TEST(HttpClient, RedirectsAreFollowedUpToTheLimitOrNotAtAll) {
    auto client = Client();  // at most 5
    auto followed = client->Send(Get(Local().http + "/redirect/5"));
    ASSERT_TRUE(followed) << followed.error().message;
    EXPECT_EQ(followed->status, 200);
    EXPECT_EQ(followed->body, "arrived");
    EXPECT_EQ(followed->final_url, Local().http + "/redirect/0");
    EXPECT_FALSE(followed->Header("location")) << "headers are the final response's";

    auto too_many = client->Send(Get(Local().http + "/redirect/6"));
    ASSERT_FALSE(too_many);
    EXPECT_EQ(too_many.error().code, Errc::kFailedPrecondition);
    EXPECT_NE(too_many.error().message.find("more than 5 redirects"), std::string::npos) << too_many.error().message;

    HttpRequest not_followed = Get(Local().http + "/redirect/3");
    not_followed.follow_redirects = false;
    auto raw = client->Send(not_followed);
    ASSERT_TRUE(raw) << raw.error().message;
    EXPECT_EQ(raw->status, 302);
    EXPECT_EQ(raw->Header("location").value_or(""), "/redirect/2");
    EXPECT_EQ(raw->body, "moved");
    EXPECT_EQ(raw->final_url, Local().http + "/redirect/3");

    HttpClientOptions never;
    never.max_redirects = 0;
    auto stays = Client(never)->Send(Get(Local().http + "/redirect/1"));
    ASSERT_TRUE(stays) << stays.error().message;
    EXPECT_EQ(stays->status, 302);

    // A form POST answered 303 See Other is fetched with GET, as a browser does.
    HttpRequest form = Get(Local().http + "/see-other");
    form.method = "POST";
    form.body = "user=a";
    auto seen = client->Send(form);
    ASSERT_TRUE(seen) << seen.error().message;
    EXPECT_EQ(json::parse(seen->body).at("method"), "GET");
    EXPECT_EQ(seen->final_url, Local().http + "/echo");
}

TEST(HttpClient, CookiesStayInTheirSession) {
    auto client = Client();
    auto first = client->NewSession();
    auto second = client->NewSession();
    ASSERT_TRUE(first->Send(Get(Local().http + "/cookie/set?portal=one")));
    auto seen = first->Send(Get(Local().http + "/cookie/get"));
    ASSERT_TRUE(seen) << seen.error().message;
    EXPECT_EQ(seen->body, "portal=one");

    auto other = second->Send(Get(Local().http + "/cookie/get"));
    ASSERT_TRUE(other) << other.error().message;
    EXPECT_EQ(other->body, "") << "a new session starts with an empty jar";
    ASSERT_TRUE(second->Send(Get(Local().http + "/cookie/set?portal=two")));
    EXPECT_EQ(second->Send(Get(Local().http + "/cookie/get"))->body, "portal=two");
    EXPECT_EQ(first->Send(Get(Local().http + "/cookie/get"))->body, "portal=one");

    auto stateless = client->Send(Get(Local().http + "/cookie/get"));
    ASSERT_TRUE(stateless) << stateless.error().message;
    EXPECT_EQ(stateless->body, "") << "HttpClient::Send keeps no cookies";
}

TEST(HttpClient, ResponsesBeyondTheCapAreRefused) {
    HttpClientOptions options;
    options.max_response_bytes = 1000;
    options.max_header_bytes = 4096;
    auto client = Client(options);
    auto fits = client->Send(Get(Local().http + "/bytes/1000"));
    ASSERT_TRUE(fits) << fits.error().message;
    EXPECT_EQ(fits->body.size(), 1000u);

    for (const std::string path : {"/bytes/1001", "/chunked/200000"}) {  // announced, and found out on the way
        auto big = client->Send(Get(Local().http + path));
        ASSERT_FALSE(big) << path;
        EXPECT_EQ(big.error().code, Errc::kResourceExhausted) << big.error().message;
        EXPECT_NE(big.error().message.find("larger than 1000 bytes"), std::string::npos) << big.error().message;
    }
    auto headers = client->Send(Get(Local().http + "/headers/8000"));
    ASSERT_FALSE(headers);
    EXPECT_EQ(headers.error().code, Errc::kResourceExhausted) << headers.error().message;

    // A session survives a refused response and goes on.
    auto session = client->NewSession();
    EXPECT_FALSE(session->Send(Get(Local().http + "/chunked/200000")));
    auto after = session->Send(Get(Local().http + "/bytes/10"));
    ASSERT_TRUE(after) << after.error().message;
    EXPECT_EQ(after->body, "xxxxxxxxxx");
}

TEST(HttpClient, AServerThatNeverAnswersTimesOut) {
    SilentListener silent;
    HttpClientOptions options;
    options.total_timeout = std::chrono::milliseconds(300);
    auto client = Client(options);
    auto r = client->Send(Get("http://127.0.0.1:" + std::to_string(silent.port()) + "/"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kUnavailable);
    EXPECT_NE(r.error().message.find("timed out"), std::string::npos) << r.error().message;

    // A per-request timeout overrides the client's.
    auto patient = Client();
    HttpRequest request = Get("http://127.0.0.1:" + std::to_string(silent.port()) + "/");
    request.timeout = std::chrono::milliseconds(200);
    auto short_wait = patient->Send(request);
    ASSERT_FALSE(short_wait);
    EXPECT_NE(short_wait.error().message.find("timed out"), std::string::npos) << short_wait.error().message;
}

TEST(HttpClient, UnreachableServersAreUnavailableAndSecretsStayOutOfMessages) {
    std::string port;
    {
        SilentListener was_free;  // closed at the end of this block, so nothing listens on its port
        port = std::to_string(was_free.port());
    }
    auto r = Client()->Send(Get("http://user:hunter2@127.0.0.1:" + port + "/path?api_key=SECRET#frag"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kUnavailable) << r.error().message;
    EXPECT_NE(r.error().message.find("http://127.0.0.1:" + port + "/path"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("SECRET"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
}

TEST(HttpClient, TlsIsVerifiedAgainstTheSystemStoreOrTheGivenCaFile) {
    auto untrusted = Client()->Send(Get(Local().https + "/status/200"));
    ASSERT_FALSE(untrusted) << "a self-signed certificate is not trusted by default";
    EXPECT_EQ(untrusted.error().code, Errc::kFailedPrecondition);
    EXPECT_NE(untrusted.error().message.find("TLS"), std::string::npos) << untrusted.error().message;

    HttpClientOptions options;
    options.ca_file = Local().ca_file;
    auto client = Client(options);
    auto trusted = client->Send(Get(Local().https + "/status/200"));
    ASSERT_TRUE(trusted) << trusted.error().message;
    EXPECT_EQ(trusted->status, 200);

    // The certificate names localhost only: the right CA does not make a wrong name acceptable.
    auto wrong_name = client->Send(Get("https://127.0.0.1:" + Local().server.Value("https") + "/status/200"));
    ASSERT_FALSE(wrong_name);
    EXPECT_EQ(wrong_name.error().code, Errc::kFailedPrecondition) << wrong_name.error().message;

    // Plain HTTP to the TLS port fails, and does not hang.
    auto plain = client->Send(Get("http://127.0.0.1:" + Local().server.Value("https") + "/status/200"));
    EXPECT_FALSE(plain);
}

TEST(HttpClient, BadRequestsAreRefusedBeforeAnythingIsSent) {
    auto client = Client();
    const auto code = [&](HttpRequest request) {
        auto r = client->Send(request);
        return r ? std::string("sent") : std::string(ErrcName(r.error().code));
    };
    EXPECT_EQ(code(Get("ftp://127.0.0.1/file")), "invalid_argument");
    EXPECT_EQ(code(Get("file:///etc/passwd")), "invalid_argument");
    EXPECT_EQ(code(Get("not a url")), "invalid_argument");
    EXPECT_EQ(code(Get("")), "invalid_argument");
    HttpRequest injected = Get(Local().http + "/echo");
    injected.headers = {{"X-Test", "a\r\nX-Injected: yes"}};
    EXPECT_EQ(code(injected), "invalid_argument");
    injected.headers = {{"Bad Name", "x"}};
    EXPECT_EQ(code(injected), "invalid_argument");
    HttpRequest method = Get(Local().http + "/echo");
    method.method = "GE T";
    EXPECT_EQ(code(method), "invalid_argument");
    HttpRequest get_with_body = Get(Local().http + "/echo");
    get_with_body.body = "x";
    EXPECT_EQ(code(get_with_body), "invalid_argument");

    HttpClientOptions missing_ca;
    missing_ca.ca_file = "/nonexistent/ca.pem";
    auto refused = MakeCurlHttpClient(missing_ca);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::kInvalidArgument);
}

TEST(HttpClient, OneClientServesManyThreads) {
    HttpClientOptions options;
    options.ca_file = Local().ca_file;
    auto client = Client(options);
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            auto session = client->NewSession();
            for (int i = 0; i < 10; ++i) {
                const std::string base = i % 2 == 0 ? Local().http : Local().https;
                auto r = (i % 3 == 0 ? client->Send(Get(base + "/status/200"))
                                     : session->Send(Get(base + "/cookie/set?t=" + std::to_string(t))));
                if (r && r->status == 200) ++ok;
            }
            auto mine = session->Send(Get(Local().http + "/cookie/get"));
            if (mine && mine->body == "t=" + std::to_string(t)) ++ok;
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(ok.load(), 4 * 11);
}

}  // namespace
}  // namespace mh::net
