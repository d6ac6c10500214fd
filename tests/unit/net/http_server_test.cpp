// HttpServer over real sockets on 127.0.0.1 (port 0): requests and replies, keep-alive, pipelining, streamed
// responses and handler behaviour. Limits and hostile input: http_server_limits_test.cpp; start and stop:
// http_server_lifecycle_test.cpp.
#include "net/http_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "unit/net/http_server_fixture.hpp"
#include "unit/net/test_client.hpp"

namespace mh::net {
namespace {

using namespace std::chrono_literals;
using testing::Clock;
using testing::Get;
using testing::HttpServerTest;
using testing::PatternAt;
using testing::PostSize;
using testing::SendWhileReading;
using testing::TestConnection;
using testing::TestOptions;
using testing::WaitFor;

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    StartServer();
    TestConnection connection(port());
    ASSERT_TRUE(connection.connected());
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(connection.Send(Get("/echo?i=" + std::to_string(i), "x-test: " + std::to_string(i) + "\r\n")));
        auto response = connection.ReadResponse();
        ASSERT_TRUE(response) << "request " << i;
        EXPECT_EQ(response->status, 200);
        EXPECT_EQ(response->body, "GET /echo q=i=" + std::to_string(i) + " body=");
        EXPECT_EQ(response->Header("server"), "meterhub");
        EXPECT_EQ(response->Header("content-length"), std::to_string(response->body.size()));
        EXPECT_EQ(response->Header("content-type"), "text/plain; charset=utf-8");
        EXPECT_EQ(response->Header("x-test"), std::to_string(i));
        EXPECT_EQ(response->Header("x-remote"), "127.0.0.1");
        EXPECT_EQ(response->Header("connection"), std::nullopt);
    }
    EXPECT_EQ(server_->stats().connections_accepted, 1u);
    EXPECT_TRUE(WaitFor([&] { return server_->stats().requests == 5; }));
    EXPECT_EQ(server_->open_connections(), 1u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
    StartServer();
    TestConnection connection(port());
    std::string burst;
    for (int i = 0; i < 8; ++i) {
        // Early requests are the slow ones, so later replies are ready first and must wait their turn.
        burst += i % 2 == 0 ? Get("/sleep?ms=" + std::to_string(200 - i * 20) + "&id=" + std::to_string(i))
                            : Get("/echo?id=" + std::to_string(i));
    }
    ASSERT_TRUE(connection.Send(burst));
    for (int i = 0; i < 8; ++i) {
        auto response = connection.ReadResponse();
        ASSERT_TRUE(response) << "response " << i;
        EXPECT_EQ(response->status, 200);
        EXPECT_EQ(response->body,
                  i % 2 == 0 ? "slept id=" + std::to_string(i) : "GET /echo q=id=" + std::to_string(i) + " body=");
    }
    EXPECT_GE(handler_.max_running(), 2) << "pipelined requests should be handled concurrently";
}

TEST_F(HttpServerTest, PipeliningIsBoundedButCompletes) {
    ServerOptions options = TestOptions();
    options.max_pipelined = 2;
    StartServer(options);
    TestConnection connection(port());
    std::string burst;
    for (int i = 0; i < 50; ++i) burst += Get("/echo?id=" + std::to_string(i));
    ASSERT_TRUE(connection.Send(burst));
    for (int i = 0; i < 50; ++i) {
        auto response = connection.ReadResponse();
        ASSERT_TRUE(response) << "response " << i;
        EXPECT_EQ(response->body, "GET /echo q=id=" + std::to_string(i) + " body=");
    }
    EXPECT_LE(handler_.max_running(), 2);
}

TEST_F(HttpServerTest, HandlerStatusAndBodyPassThrough) {
    StartServer();
    auto response = Fetch(Get("/no/such/thing"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 404);
    EXPECT_EQ(response->body, R"({"error":{"code":"not_found","message":"no such route"}})");
    EXPECT_EQ(response->Header("content-type"), "application/json");

    auto no_content = Fetch(Get("/status?code=204"));
    ASSERT_TRUE(no_content);
    EXPECT_EQ(no_content->status, 204);
    EXPECT_EQ(no_content->Header("content-length"), std::nullopt);

    auto invalid = Fetch(Get("/status?code=42"));
    ASSERT_TRUE(invalid);
    EXPECT_EQ(invalid->status, 500);
}

TEST_F(HttpServerTest, BodiesUpToTheLimitArriveWhole) {
    StartServer();
    const std::string body(1024 * 1024, 'b');
    TestConnection connection(port());
    auto response = SendWhileReading(connection, PostSize(body));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, std::to_string(body.size()));

    // Chunked request bodies are assembled too.
    ASSERT_TRUE(
        connection.Send("POST /echo HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n"
                        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
    auto chunked = connection.ReadResponse();
    ASSERT_TRUE(chunked);
    EXPECT_EQ(chunked->body, "POST /echo q= body=hello world");
}

TEST_F(HttpServerTest, RequestsArrivingByteByByteAreParsed) {
    StartServer();
    TestConnection connection(port());
    const std::string request =
        "POST /echo?x=1 HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n"
        "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n" +
        Get("/echo?second");
    for (const char byte : request) ASSERT_TRUE(connection.Send(std::string_view(&byte, 1)));
    auto first = connection.ReadResponse();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->body, "POST /echo q=x=1 body=abcde");
    auto second = connection.ReadResponse();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->body, "GET /echo q=second body=");
}

TEST_F(HttpServerTest, ReplyFromAnotherThreadLaterArrives) {
    StartServer();
    TestConnection connection(port());
    const auto start = Clock::now();
    ASSERT_TRUE(connection.Send(Get("/later?ms=200")));
    auto response = connection.ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "later");
    EXPECT_GE(Clock::now() - start, 200ms);
    ASSERT_TRUE(connection.Send(Get("/echo")));
    auto next = connection.ReadResponse();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, StreamedResponseArrivesCompleteAndChunked) {
    StartServer();
    constexpr std::size_t kTotal = 10 * 1000 * 1000;
    TestConnection connection(port());
    ASSERT_TRUE(connection.Send(Get("/stream?bytes=" + std::to_string(kTotal) + "&piece=65536")));
    auto response = connection.ReadResponse(30s);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_TRUE(response->chunked);
    EXPECT_EQ(response->Header("content-length"), std::nullopt);
    EXPECT_EQ(response->Header("content-type"), "application/octet-stream");
    EXPECT_EQ(response->Header("server"), "meterhub");
    ASSERT_EQ(response->body.size(), kTotal);
    EXPECT_GE(response->chunks, kTotal / 65536);
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < kTotal; ++i) mismatches += response->body[i] != PatternAt(i);
    EXPECT_EQ(mismatches, 0u);
    // The connection stays usable after the last chunk.
    ASSERT_TRUE(connection.Send(Get("/echo")));
    auto next = connection.ReadResponse();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, StreamedResponseToHttp10IsDelimitedByTheClose) {
    StartServer();
    TestConnection connection(port());
    ASSERT_TRUE(connection.Send("GET /stream?bytes=5000&piece=700 HTTP/1.0\r\n\r\n"));
    auto response = connection.ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_FALSE(response->chunked);
    EXPECT_EQ(response->body.size(), 5000u);
    EXPECT_TRUE(connection.closed());
}

TEST_F(HttpServerTest, FailingStreamEndsTheConnectionWithoutTheLastChunk) {
    StartServer();
    TestConnection connection(port());
    ASSERT_TRUE(connection.Send(Get("/stream-throws")));
    EXPECT_FALSE(connection.ReadResponse());  // the body never completes
    EXPECT_TRUE(connection.closed());
}

TEST_F(HttpServerTest, HeadGetsHeadersOnly) {
    StartServer();
    TestConnection connection(port());
    ASSERT_TRUE(connection.Send("HEAD /echo HTTP/1.1\r\nhost: t\r\n\r\n"));
    auto head = connection.ReadResponse(5s, /*head_request=*/true);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->Header("content-length"), std::to_string(std::string("HEAD /echo q= body=").size()));
    EXPECT_TRUE(head->body.empty());

    ASSERT_TRUE(connection.Send("HEAD /stream?bytes=100000 HTTP/1.1\r\nhost: t\r\n\r\n"));
    auto streamed = connection.ReadResponse(5s, /*head_request=*/true);
    ASSERT_TRUE(streamed);
    EXPECT_EQ(streamed->Header("transfer-encoding"), "chunked");

    // Had any body bytes followed either head, this response would not parse.
    ASSERT_TRUE(connection.Send(Get("/echo")));
    auto next = connection.ReadResponse();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
    EXPECT_EQ(next->body, "GET /echo q= body=");
}

TEST_F(HttpServerTest, HandlerSeesTheDecodedPathAndRawQuery) {
    StartServer();
    auto response = Fetch(Get("/echo/%7Efoo%20bar?x=1+2&y=%41"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "GET /echo/~foo bar q=x=1+2&y=%41 body=");
    auto param = Fetch(Get("/param?name=a+b%21"));
    ASSERT_TRUE(param);
    EXPECT_EQ(param->body, "a b!");
    auto absolute = Fetch("GET http://example.com/echo?z HTTP/1.1\r\nhost: example.com\r\n\r\n");
    ASSERT_TRUE(absolute);
    EXPECT_EQ(absolute->body, "GET /echo q=z body=");
}

TEST_F(HttpServerTest, ExpectContinueGetsAnInterimResponse) {
    StartServer();
    TestConnection connection(port());
    ASSERT_TRUE(connection.Send("POST /echo HTTP/1.1\r\nhost: t\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n"));
    auto interim = connection.ReadResponse();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    ASSERT_TRUE(connection.Send("hello"));
    auto response = connection.ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "POST /echo q= body=hello");

    // Too large: refused before the client sends the body.
    ASSERT_TRUE(
        connection.Send("POST /echo HTTP/1.1\r\nhost: t\r\ncontent-length: 5000000\r\nexpect: 100-continue\r\n\r\n"));
    auto refused = connection.ReadResponse();
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 413);
    EXPECT_TRUE(connection.WaitForClose());
}

TEST_F(HttpServerTest, ConnectionCloseIsHonouredBothWays) {
    StartServer();
    {
        TestConnection connection(port());
        ASSERT_TRUE(connection.Send(Get("/echo", "connection: close\r\n")));
        auto response = connection.ReadResponse();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->Header("connection"), "close");
        EXPECT_TRUE(connection.WaitForClose());
    }
    {
        TestConnection connection(port());
        ASSERT_TRUE(connection.Send(Get("/close")));
        auto response = connection.ReadResponse();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->body, "bye");
        EXPECT_EQ(response->Header("connection"), "close");
        EXPECT_TRUE(connection.WaitForClose());
    }
    {
        TestConnection connection(port());
        ASSERT_TRUE(connection.Send("GET /echo HTTP/1.0\r\n\r\n"));
        auto response = connection.ReadResponse();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 200);
        EXPECT_TRUE(connection.WaitForClose());
    }
    {
        TestConnection connection(port());
        for (int i = 0; i < 2; ++i) {
            ASSERT_TRUE(connection.Send("GET /echo HTTP/1.0\r\nconnection: keep-alive\r\n\r\n"));
            auto response = connection.ReadResponse();
            ASSERT_TRUE(response);
            EXPECT_EQ(response->Header("connection"), "keep-alive");
        }
    }
}

TEST_F(HttpServerTest, HandlerFailuresBecome500AndTheConnectionLivesOn) {
    StartServer();
    TestConnection connection(port());
    for (const char* target : {"/throw", "/drop"}) {
        ASSERT_TRUE(connection.Send(Get(target)));
        auto response = connection.ReadResponse();
        ASSERT_TRUE(response) << target;
        EXPECT_EQ(response->status, 500) << target;
        EXPECT_NE(response->body.find(R"("code":"internal")"), std::string::npos);
    }
    ASSERT_TRUE(connection.Send(Get("/twice")));
    auto twice = connection.ReadResponse();
    ASSERT_TRUE(twice);
    EXPECT_EQ(twice->body, "first");
    ASSERT_TRUE(connection.Send(Get("/echo")));
    auto next = connection.ReadResponse();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, UnsafeHandlerHeadersAreDropped) {
    StartServer();
    auto response = Fetch(Get("/bad-headers"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "hello");
    EXPECT_EQ(response->Header("content-length"), "5");
    EXPECT_EQ(response->Header("x-injected"), std::nullopt);
    EXPECT_EQ(response->Header("x-evil"), std::nullopt);
    EXPECT_EQ(response->Header("x-fine"), "yes");
}

TEST_F(HttpServerTest, SlowHandlersDoNotBlockTheIoThread) {
    ServerOptions options = TestOptions();
    options.threads = 1;
    StartServer(options);
    TestConnection slow(port());
    ASSERT_TRUE(slow.Send(Get("/sleep?ms=1500")));
    ASSERT_TRUE(WaitFor([&] { return handler_.started_sleeps() == 1; }));
    const auto start = Clock::now();
    auto fast = Fetch(Get("/echo"));
    ASSERT_TRUE(fast);
    EXPECT_LT(Clock::now() - start, 750ms);  // had the sleep held the only I/O thread, this would take 1.5 s
    EXPECT_TRUE(slow.ReadResponse());
}

TEST_F(HttpServerTest, InlineRequestsAreAnsweredWhileEveryWorkerIsBusy) {
    ServerOptions options = TestOptions();
    options.worker_threads = 1;
    StartServer(options);
    TestConnection blocked(port());
    ASSERT_TRUE(blocked.Send(Get("/gate")));
    ASSERT_TRUE(WaitFor([&] { return handler_.waiting_at_gate() == 1; }));  // the only worker is taken

    TestConnection connection(port());
    for (int i = 0; i < 3; ++i) {  // answered although no worker is free: they never went to the pool
        ASSERT_TRUE(
            connection.Send("POST /inline HTTP/1.1\r\nhost: t\r\ncontent-length: 1\r\n\r\n" + std::to_string(i)));
        auto response = connection.ReadResponse();
        ASSERT_TRUE(response) << "request " << i;
        EXPECT_EQ(response->status, 200);
        EXPECT_EQ(response->body, "inline " + std::to_string(i));
    }
    EXPECT_EQ(handler_.waiting_at_gate(), 1);
    ASSERT_TRUE(handler_.inline_thread());

    handler_.OpenGate();
    auto released = blocked.ReadResponse();
    ASSERT_TRUE(released);
    EXPECT_EQ(released->body, "through the gate");
}

TEST_F(HttpServerTest, InlineHandlerFailuresBecome500AndTheConnectionLivesOn) {
    StartServer();
    TestConnection connection(port());
    ASSERT_TRUE(connection.Send(Get("/inline/throw")));
    auto failed = connection.ReadResponse();
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->status, 500);
    ASSERT_TRUE(connection.Send(Get("/inline/after")));
    auto after = connection.ReadResponse();
    ASSERT_TRUE(after);
    EXPECT_EQ(after->status, 200);
    EXPECT_EQ(after->body, "inline ");
}

TEST_F(HttpServerTest, StatsCountResponsesByClassAndLatency) {
    StartServer();
    TestConnection connection(port());
    for (const char* target : {"/echo", "/echo", "/nope", "/throw"}) {
        ASSERT_TRUE(connection.Send(Get(target)));
        ASSERT_TRUE(connection.ReadResponse());
    }
    ASSERT_TRUE(WaitFor([&] { return server_->stats().requests == 4; }));
    const ServerStats stats = server_->stats();
    EXPECT_EQ(stats.responses_by_class[1], 2u);
    EXPECT_EQ(stats.responses_by_class[3], 1u);
    EXPECT_EQ(stats.responses_by_class[4], 1u);
    EXPECT_EQ(std::accumulate(stats.latency.begin(), stats.latency.end(), std::uint64_t{0}), 4u);
    EXPECT_EQ(stats.open_connections, 1u);
}

TEST_F(HttpServerTest, ManyConnectionsAtOnce) {
    StartServer();
    std::vector<std::unique_ptr<TestConnection>> connections;
    for (int i = 0; i < 200; ++i) connections.push_back(std::make_unique<TestConnection>(port()));
    for (auto& connection : connections) ASSERT_TRUE(connection->Send(Get("/echo")));
    for (auto& connection : connections) {
        auto response = connection->ReadResponse();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 200);
    }
    EXPECT_EQ(server_->open_connections(), 200u);
    connections.clear();
    EXPECT_TRUE(WaitFor([&] { return server_->open_connections() == 0; }));
    EXPECT_GE(handler_.distinct_threads(), 1u);
}

}  // namespace
}  // namespace mh::net
