// HttpServer serving Response::async_stream (server-sent events): pieces that come when they come, from any
// thread, as chunks or a close-delimited body; the end of a stream, a client that leaves mid-stream, timeouts and
// Stop() while a stream waits for its producer.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "net/http_server.hpp"
#include "unit/net/http_server_fixture.hpp"
#include "unit/net/test_client.hpp"

namespace mh::net {
namespace {

using namespace std::chrono_literals;
using testing::Clock;
using testing::Get;
using testing::TestConnection;
using testing::TestOptions;
using testing::WaitFor;

// The producer side of one stream at a time, driven by the test: it keeps the NextPiece the server hands over
// until the test gives a piece.
class ManualProducer {
  public:
    AsyncBodyStream Stream() {
        auto alive = std::make_shared<int>(0);
        {
            std::lock_guard lock(mutex_);
            alive_ = alive;
        }
        return [this, alive](NextPiece next) {
            std::lock_guard lock(mutex_);
            pending_ = std::move(next);
            ++asks_;
            asked_.notify_all();
        };
    }

    // Waits until the server asks for a piece; nullptr when it does not in time.
    NextPiece Take(std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock(mutex_);
        if (!asked_.wait_for(lock, timeout, [&] { return pending_ != nullptr; })) return nullptr;
        return std::exchange(pending_, nullptr);
    }
    // Waits until the server asks, then gives the piece on this thread.
    bool Give(std::string piece, bool more, std::chrono::milliseconds timeout = 5s) {
        NextPiece next = Take(timeout);
        if (!next) return false;
        next(std::move(piece), more);
        return true;
    }

    int asks() {
        std::lock_guard lock(mutex_);
        return asks_;
    }
    // Whether the server still holds the stream function of the latest stream.
    bool stream_alive() {
        std::lock_guard lock(mutex_);
        return !alive_.expired();
    }

  private:
    std::mutex mutex_;
    std::condition_variable asked_;
    NextPiece pending_;
    int asks_ = 0;
    std::weak_ptr<int> alive_;
};

// /sse: an event stream from the producer; anything else: "ok".
class StreamHandler : public Handler {
  public:
    explicit StreamHandler(ManualProducer& producer) : producer_(producer) {}
    void Handle(Request request, Reply reply) override {
        if (request.path != "/sse") return reply(Response::Text(200, "ok"));
        Response response;
        response.Set("content-type", "text/event-stream");
        response.body = "ignored";
        response.async_stream = producer_.Stream();
        reply(std::move(response));
    }

  private:
    ManualProducer& producer_;
};

class AsyncStreamTest : public ::testing::Test {
  protected:
    void StartServer(ServerOptions options = TestOptions()) {
        auto server = HttpServer::Start(std::move(options), handler_);
        ASSERT_TRUE(server) << server.error().message;
        server_ = std::move(*server);
    }
    std::uint16_t port() const { return server_->port(); }

    ManualProducer producer_;  // outlives the server, and may hold a NextPiece past it
    StreamHandler handler_{producer_};
    std::unique_ptr<HttpServer> server_;
};

// Reads raw bytes until `needle` has arrived; what was read, or nullopt on a timeout or close.
std::optional<std::string> ReadUntil(TestConnection& connection, std::string_view needle) {
    const Clock::time_point deadline = Clock::now() + 5s;
    std::string got;
    while (got.find(needle) == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        auto byte = connection.ReadBytes(1, std::max(left, 1ms));
        if (!byte) return std::nullopt;
        got += *byte;
    }
    return got;
}

TEST_F(AsyncStreamTest, PiecesFromAnotherThreadArriveInOrderAsChunks) {
    StartServer();
    TestConnection connection(port());
    ASSERT_TRUE(connection.Send(Get("/sse")));
    std::thread producer([&] {
        for (const char* piece : {"one\n", "", "two\n", "three\n"}) EXPECT_TRUE(producer_.Give(piece, true));
        EXPECT_TRUE(producer_.Give("end\n", false));
    });
    auto response = connection.ReadResponse();
    producer.join();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_TRUE(response->chunked);
    EXPECT_EQ(response->Header("content-type"), "text/event-stream");
    EXPECT_EQ(response->body, "one\ntwo\nthree\nend\n");
    EXPECT_EQ(response->chunks, 4u);  // the empty piece is no chunk: it would have ended the body
    EXPECT_EQ(producer_.asks(), 5);
    EXPECT_TRUE(WaitFor([&] { return !producer_.stream_alive(); }));
}

TEST_F(AsyncStreamTest, EachPieceIsSentWhenGivenAndTheEndKeepsTheConnection) {
    StartServer();
    TestConnection connection(port());
    ASSERT_TRUE(connection.Send(Get("/sse")));
    ASSERT_TRUE(producer_.Give("first", true));
    auto head = ReadUntil(connection, "5\r\nfirst\r\n");
    ASSERT_TRUE(head);
    EXPECT_NE(head->find("Transfer-Encoding: chunked"), std::string::npos) << *head;
    ASSERT_TRUE(producer_.Give("", false));  // an empty last piece: just the last chunk
    ASSERT_TRUE(ReadUntil(connection, "0\r\n\r\n"));
    EXPECT_TRUE(WaitFor([&] { return !producer_.stream_alive(); }));

    ASSERT_TRUE(connection.Send(Get("/echo")));
    auto next = connection.ReadResponse();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body, "ok");
    EXPECT_TRUE(WaitFor([&] { return server_->stats().requests == 2; }));
}

TEST_F(AsyncStreamTest, AClientThatLeavesEndsTheSessionAtTheNextPieces) {
    StartServer();
    {
        TestConnection connection(port());
        ASSERT_TRUE(connection.Send(Get("/sse")));
        ASSERT_TRUE(producer_.Give("hello", true));
        ASSERT_TRUE(ReadUntil(connection, "hello"));
        EXPECT_EQ(server_->open_connections(), 1u);
    }  // gone; the server learns of it only by writing
    std::atomic<bool> stop{false};
    std::thread heartbeats([&] {
        while (!stop) producer_.Give(": keep-alive\n\n", true, 20ms);
    });
    EXPECT_TRUE(WaitFor([&] { return server_->open_connections() == 0; }));
    EXPECT_TRUE(WaitFor([&] { return !producer_.stream_alive(); }));
    stop = true;
    heartbeats.join();
}

TEST_F(AsyncStreamTest, Http10BodyIsDelimitedByTheClose) {
    StartServer();
    TestConnection connection(port());
    ASSERT_TRUE(connection.Send("GET /sse HTTP/1.0\r\n\r\n"));
    std::thread producer([&] {
        EXPECT_TRUE(producer_.Give("a", true));
        EXPECT_TRUE(producer_.Give("b", false));
    });
    auto response = connection.ReadResponse();
    producer.join();
    ASSERT_TRUE(response);
    EXPECT_FALSE(response->chunked);
    EXPECT_EQ(response->Header("transfer-encoding"), std::nullopt);
    EXPECT_EQ(response->body, "ab");
    EXPECT_TRUE(connection.closed());
}

TEST_F(AsyncStreamTest, TheIdleTimeoutSparesAConnectionWaitingForItsNextPiece) {
    ServerOptions options = TestOptions();
    options.idle_timeout = 100ms;
    StartServer(options);
    TestConnection connection(port());
    ASSERT_TRUE(connection.Send(Get("/sse")));
    ASSERT_TRUE(producer_.Give("x", true));
    ASSERT_TRUE(ReadUntil(connection, "1\r\nx\r\n"));
    EXPECT_FALSE(connection.WaitForClose(400ms));  // four idle timeouts without a piece
    ASSERT_TRUE(producer_.Give("y", false));
    ASSERT_TRUE(ReadUntil(connection, "1\r\ny\r\n0\r\n\r\n"));
    EXPECT_TRUE(connection.WaitForClose(2s));  // idle after the stream: closed by the idle timeout
}

TEST_F(AsyncStreamTest, HeadDoesNotRunTheStream) {
    StartServer();
    TestConnection connection(port());
    ASSERT_TRUE(connection.Send("HEAD /sse HTTP/1.1\r\nhost: t\r\n\r\n"));
    auto head = connection.ReadResponse(5s, /*head_request=*/true);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->Header("transfer-encoding"), "chunked");
    ASSERT_TRUE(connection.Send(Get("/echo")));
    auto next = connection.ReadResponse();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body, "ok");
    EXPECT_EQ(producer_.asks(), 0);
    EXPECT_FALSE(producer_.stream_alive());
}

TEST_F(AsyncStreamTest, ADroppedNextPieceEndsTheConnectionWithoutTheLastChunk) {
    StartServer();
    TestConnection connection(port());
    ASSERT_TRUE(connection.Send(Get("/sse")));
    ASSERT_TRUE(producer_.Give("partial", true));
    ASSERT_TRUE(producer_.Take());  // and dropped uncalled
    EXPECT_FALSE(connection.ReadResponse());
    EXPECT_TRUE(connection.closed());
    EXPECT_TRUE(WaitFor([&] { return server_->open_connections() == 0; }));
}

TEST_F(AsyncStreamTest, StopEndsAWaitingStreamAndALateNextPieceIsHarmless) {
    StartServer();
    TestConnection connection(port());
    ASSERT_TRUE(connection.Send(Get("/sse")));
    ASSERT_TRUE(producer_.Give("data", true));
    NextPiece late = producer_.Take();
    ASSERT_TRUE(late);
    const auto start = Clock::now();
    server_->Stop(5s);
    EXPECT_LT(Clock::now() - start, 2s);  // the stream ended at once instead of holding the drain
    auto response = connection.ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "data");
    EXPECT_TRUE(connection.WaitForClose());
    server_.reset();
    late("after the server", true);  // finds nothing to touch
}

}  // namespace
}  // namespace mh::net
