// HttpServer start and stop: option validation, bind failures, and Stop draining in-flight requests (or giving
// up on them after the drain timeout) while refusing new ones.
#include <gtest/gtest.h>

#include <chrono>

#include "net/http_server.hpp"
#include "unit/net/http_server_fixture.hpp"
#include "unit/net/test_client.hpp"

namespace mh::net {
namespace {

using namespace std::chrono_literals;
using testing::Clock;
using testing::Get;
using testing::HttpServerTest;
using testing::TestConnection;
using testing::TestHandler;
using testing::TestOptions;
using testing::WaitFor;

TEST_F(HttpServerTest, StopWhileASlowHandlerRunsStillDeliversItsResponse) {
    StartServer();
    TestConnection idle(port());
    ASSERT_TRUE(idle.Send(Get("/echo")));
    ASSERT_TRUE(idle.ReadResponse());

    TestConnection busy(port());
    ASSERT_TRUE(busy.Send(Get("/sleep?ms=500&id=7")));
    ASSERT_TRUE(WaitFor([&] { return handler_.started_sleeps() == 1; }));
    const auto start = Clock::now();
    server_->Stop();
    EXPECT_LT(Clock::now() - start, 3s);

    auto response = busy.ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "slept id=7");
    EXPECT_EQ(response->Header("connection"), "close");
    EXPECT_TRUE(busy.WaitForClose());
    EXPECT_TRUE(idle.WaitForClose());
    EXPECT_EQ(server_->open_connections(), 0u);

    TestConnection late(port());
    EXPECT_TRUE(!late.connected() || late.WaitForClose());
    server_->Stop();  // idempotent
}

TEST_F(HttpServerTest, StopGivesUpOnRequestsThatOutlastTheDrain) {
    StartServer();
    TestConnection busy(port());
    ASSERT_TRUE(busy.Send(Get("/later?ms=1500")));
    ASSERT_TRUE(WaitFor([&] { return handler_.calls() == 1; }));
    const auto start = Clock::now();
    server_->Stop(200ms);
    EXPECT_LT(Clock::now() - start, 1500ms);
    EXPECT_FALSE(busy.ReadResponse(1s));
    EXPECT_TRUE(busy.closed());
    server_.reset();  // the late reply (in ~1.3 s, from the handler's thread) must find nothing to touch
}

TEST(ServerOptionsTest, ValidateRejectsNonsense) {
    EXPECT_TRUE(ServerOptions{}.Validate());
    const auto invalid = [](auto change) {
        ServerOptions options;
        change(options);
        const Status status = options.Validate();
        return !status && status.error().code == Errc::kInvalidArgument;
    };
    EXPECT_TRUE(invalid([](ServerOptions& o) { o.address.clear(); }));
    EXPECT_TRUE(invalid([](ServerOptions& o) { o.body_limit = 0; }));
    EXPECT_TRUE(invalid([](ServerOptions& o) { o.header_limit = 10; }));
    EXPECT_TRUE(invalid([](ServerOptions& o) { o.header_timeout = 0ms; }));
    EXPECT_TRUE(invalid([](ServerOptions& o) { o.body_timeout = -1ms; }));
    EXPECT_TRUE(invalid([](ServerOptions& o) { o.idle_timeout = 0ms; }));
    EXPECT_TRUE(invalid([](ServerOptions& o) { o.write_timeout = 0ms; }));
    EXPECT_TRUE(invalid([](ServerOptions& o) { o.max_connections = 0; }));
    EXPECT_TRUE(invalid([](ServerOptions& o) { o.max_pipelined = 0; }));
    EXPECT_TRUE(invalid([](ServerOptions& o) { o.threads = 100000; }));
}

TEST(HttpServerStartTest, ReportsBadAddressesAndBusyPorts) {
    TestHandler handler;
    ServerOptions options = TestOptions();
    options.address = "not-an-address";
    auto bad = HttpServer::Start(options, handler);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);

    auto first = HttpServer::Start(TestOptions(), handler);
    ASSERT_TRUE(first);
    options = TestOptions();
    options.port = (*first)->port();
    auto second = HttpServer::Start(options, handler);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, Errc::kUnavailable);
}

}  // namespace
}  // namespace mh::net
