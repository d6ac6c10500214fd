// StreamServer over real loopback sockets: bytes in order, replies, hold/release back-pressure, idle timeout,
// connection limit, protocol-initiated close and shutdown with connections open.
#include "net/stream_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "test_client.hpp"

namespace mh::net {
namespace {

using namespace std::chrono_literals;
using testing::TestConnection;
using testing::WaitFor;

// Line protocol: every '\n'-terminated line is answered "ok:<line>\n"; "hold" holds the connection until the
// test releases it; "bye" closes after the reply.
class LineProtocol final : public StreamProtocol {
  public:
    LineProtocol(std::shared_ptr<StreamLink> link, std::atomic<int>& closes, std::shared_ptr<StreamLink>& held)
        : link_(std::move(link)), closes_(closes), held_(held) {}
    void OnRead(std::span<const std::uint8_t> bytes) override {
        buffer_.append(bytes.begin(), bytes.end());
        for (auto end = buffer_.find('\n'); end != std::string::npos; end = buffer_.find('\n')) {
            const std::string line = buffer_.substr(0, end);
            buffer_.erase(0, end + 1);
            const std::string reply = "ok:" + line + "\n";
            link_->Write({reply.begin(), reply.end()});
            if (line == "hold") {
                link_->Hold();
                held_ = link_;
            }
            if (line == "bye") link_->Close();
        }
    }
    void OnClose(std::string_view) override { closes_.fetch_add(1); }

  private:
    std::shared_ptr<StreamLink> link_;
    std::atomic<int>& closes_;
    std::shared_ptr<StreamLink>& held_;
    std::string buffer_;
};

class LineHandler final : public StreamHandler {
  public:
    std::unique_ptr<StreamProtocol> Open(std::shared_ptr<StreamLink> link) override {
        return std::make_unique<LineProtocol>(std::move(link), closes, held);
    }
    std::atomic<int> closes{0};
    std::shared_ptr<StreamLink> held;  // written on the connection's strand, read after a reply proves it set
};

std::unique_ptr<StreamServer> StartServer(LineHandler& handler, StreamOptions options = {}) {
    options.address = "127.0.0.1";
    options.port = 0;
    auto server = StreamServer::Start(options, handler);
    EXPECT_TRUE(server) << server.error().message;
    return std::move(*server);
}

TEST(StreamServer, AnswersSplitAndCoalescedInputInOrder) {
    LineHandler handler;
    auto server = StartServer(handler);
    TestConnection c(server->port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.Send("al"));
    ASSERT_TRUE(c.Send("pha\nbeta\ngam"));
    ASSERT_TRUE(c.Send("ma\n"));
    EXPECT_EQ(c.ReadBytes(26), "ok:alpha\nok:beta\nok:gamma\n");
    ASSERT_TRUE(c.Send("bye\n"));
    EXPECT_EQ(c.ReadBytes(7), "ok:bye\n");
    EXPECT_TRUE(c.WaitForClose());
    EXPECT_TRUE(WaitFor([&] { return handler.closes.load() == 1; }));
    EXPECT_TRUE(WaitFor([&] { return server->stats().open == 0; }));
}

TEST(StreamServer, HoldStopsReadingUntilReleased) {
    LineHandler handler;
    auto server = StartServer(handler);
    TestConnection c(server->port());
    ASSERT_TRUE(c.Send("hold\n"));
    EXPECT_EQ(c.ReadBytes(8), "ok:hold\n");
    ASSERT_TRUE(c.Send("later\n"));
    EXPECT_FALSE(c.ReadBytes(9, 200ms)) << "read while held";
    ASSERT_NE(handler.held, nullptr);
    handler.held->Release();
    EXPECT_EQ(c.ReadBytes(9), "ok:later\n");
}

TEST(StreamServer, ClosesIdleConnectionsAndRefusesBeyondTheLimit) {
    LineHandler handler;
    StreamOptions options;
    options.idle_timeout = 300ms;
    options.max_connections = 2;
    auto server = StartServer(handler, options);
    TestConnection a(server->port());
    TestConnection b(server->port());
    ASSERT_TRUE(a.Send("x\n"));
    ASSERT_TRUE(b.Send("y\n"));
    EXPECT_EQ(a.ReadBytes(5), "ok:x\n");
    EXPECT_EQ(b.ReadBytes(5), "ok:y\n");
    TestConnection third(server->port());
    EXPECT_TRUE(third.WaitForClose(2s));
    EXPECT_EQ(server->stats().rejected, 1u);
    EXPECT_TRUE(a.WaitForClose(5s));
    EXPECT_TRUE(b.WaitForClose(5s));
    EXPECT_GE(server->stats().idle_timeouts, 2u);
    TestConnection again(server->port());  // room again
    ASSERT_TRUE(again.Send("z\n"));
    EXPECT_EQ(again.ReadBytes(5), "ok:z\n");
}

TEST(StreamServer, StopClosesOpenConnectionsAndLinksOutliveIt) {
    LineHandler handler;
    auto server = StartServer(handler);
    TestConnection c(server->port());
    ASSERT_TRUE(c.Send("hold\n"));
    EXPECT_EQ(c.ReadBytes(8), "ok:hold\n");
    server->Stop();
    EXPECT_TRUE(c.WaitForClose());
    EXPECT_EQ(handler.closes.load(), 1);
    // A protocol's late work after the stop does nothing, safely.
    handler.held->Write({'x'});
    handler.held->Release();
    handler.held->Post([] { FAIL() << "ran after stop"; });
    server.reset();
    handler.held->Write({'y'});
}

TEST(StreamServer, RejectsBadOptions) {
    LineHandler handler;
    StreamOptions options;
    options.threads = 0;
    EXPECT_EQ(StreamServer::Start(options, handler).error().code, Errc::kInvalidArgument);
    options = {};
    options.address = "not-an-ip";
    EXPECT_EQ(StreamServer::Start(options, handler).error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace mh::net
