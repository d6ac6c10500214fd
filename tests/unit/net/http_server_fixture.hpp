// The HttpServer test fixture shared by the http_server_*_test.cpp files: a routing TestHandler that counts what
// it runs, server options for 127.0.0.1 on port 0, and the HttpServerTest fixture that starts a server over it.
// Everything lives in a named namespace because gtest requires one fixture type for a suite split over files.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "net/http_server.hpp"
#include "unit/net/test_client.hpp"

namespace mh::net::testing {

inline char PatternAt(std::size_t i) {
    return static_cast<char>('a' + i % 26);
}

inline std::size_t ParamOr(const Request& request, std::string_view name, std::size_t fallback) {
    const auto value = request.Param(name);
    return value ? std::stoul(*value) : fallback;
}

// Routes by path: /echo*, /size, /sleep, /later, /stream, /throw, /drop, /close, /bad-headers, /param, /gate,
// /inline*; else 404. Paths under /inline run on the I/O thread (RunsInline).
class TestHandler : public Handler {
  public:
    ~TestHandler() override {
        OpenGate();
        std::lock_guard lock(mutex_);
        for (std::thread& thread : threads_) thread.join();
    }

    bool RunsInline(const Request& request) const override { return request.path.starts_with("/inline"); }

    // /gate blocks its worker until the gate opens.
    void OpenGate() {
        {
            std::lock_guard lock(gate_mutex_);
            gate_open_ = true;
        }
        gate_cv_.notify_all();
    }
    int waiting_at_gate() const { return waiting_at_gate_.load(); }
    std::optional<std::thread::id> inline_thread() {
        std::lock_guard lock(mutex_);
        return inline_thread_;
    }

    void Handle(Request request, Reply reply) override {
        const int now_running = ++running_;
        int seen = max_running_.load();
        while (now_running > seen && !max_running_.compare_exchange_weak(seen, now_running)) {
        }
        ++calls_;
        {
            std::lock_guard lock(mutex_);
            thread_ids_.insert(std::this_thread::get_id());
        }
        // A request stops counting as running when it is answered (the server may then start the next one),
        // or when Handle returns without having answered, whichever comes first.
        auto finished = std::make_shared<std::atomic<bool>>(false);
        Reply counted = [this, finished, reply = std::move(reply)](Response response) mutable {
            if (!finished->exchange(true)) --running_;
            reply(std::move(response));
        };
        Route(request, counted);
        if (!finished->exchange(true)) --running_;
    }

    int calls() const { return calls_.load(); }
    int started_sleeps() const { return started_sleeps_.load(); }
    int max_running() const { return max_running_.load(); }
    std::size_t distinct_threads() {
        std::lock_guard lock(mutex_);
        return thread_ids_.size();
    }

  private:
    void Route(const Request& request, Reply& reply) {
        const std::string& path = request.path;
        if (path.starts_with("/echo")) {
            reply(Response::Text(200, std::string(MethodName(request.method)) + " " + path + " q=" + request.query +
                                          " body=" + request.body)
                      .Set("x-remote", request.remote_address)
                      .Set("x-test", std::string(request.Header("x-test").value_or(""))));
        } else if (path == "/size") {
            reply(Response::Text(200, std::to_string(request.body.size())));
        } else if (path == "/sleep") {
            ++started_sleeps_;
            std::this_thread::sleep_for(std::chrono::milliseconds(ParamOr(request, "ms", 100)));
            reply(Response::Text(200, "slept id=" + request.Param("id").value_or("")));
        } else if (path == "/later") {
            const auto delay = std::chrono::milliseconds(ParamOr(request, "ms", 200));
            std::lock_guard lock(mutex_);
            threads_.emplace_back([reply = std::move(reply), delay] {
                std::this_thread::sleep_for(delay);
                reply(Response::Text(200, "later"));
            });
        } else if (path == "/stream") {
            const std::size_t total = ParamOr(request, "bytes", 1000);
            const std::size_t piece = ParamOr(request, "piece", 100);
            Response response;
            response.Set("content-type", "application/octet-stream");
            response.stream = [offset = std::size_t{0}, total, piece](std::string& out) mutable {
                const std::size_t n = std::min(piece, total - offset);
                for (std::size_t i = 0; i < n; ++i) out.push_back(PatternAt(offset + i));
                offset += n;
                return offset < total;
            };
            reply(std::move(response));
        } else if (path == "/stream-throws") {
            Response response;
            response.stream = [calls = 0](std::string& out) mutable {
                if (++calls > 2) throw std::runtime_error("database went away");
                out = "piece";
                return true;
            };
            reply(std::move(response));
        } else if (path == "/throw") {
            throw std::runtime_error("boom");
        } else if (path == "/drop") {
            // Never calls reply: the server answers 500 when the last copy dies.
        } else if (path == "/twice") {
            reply(Response::Text(200, "first"));
            reply(Response::Text(200, "second"));
        } else if (path == "/close") {
            reply(Response::Text(200, "bye").Set("connection", "close"));
        } else if (path == "/bad-headers") {
            reply(Response::Text(200, "hello")
                      .Set("x-evil", "a\r\nx-injected: 1")
                      .Set("bad name", "x")
                      .Set("content-length", "999")
                      .Set("x-fine", "yes"));
        } else if (path == "/gate") {
            std::unique_lock lock(gate_mutex_);
            ++waiting_at_gate_;
            gate_cv_.wait(lock, [this] { return gate_open_; });
            reply(Response::Text(200, "through the gate"));
        } else if (path.starts_with("/inline")) {
            if (path == "/inline/throw") throw std::runtime_error("inline boom");
            {
                std::lock_guard lock(mutex_);
                inline_thread_ = std::this_thread::get_id();
            }
            reply(Response::Text(200, "inline " + request.body));
        } else if (path == "/param") {
            reply(Response::Text(200, request.Param("name").value_or("<none>")));
        } else if (path == "/status") {
            reply(Response::Json(static_cast<int>(ParamOr(request, "code", 200)), "{}"));
        } else {
            reply(Response::Json(404, R"({"error":{"code":"not_found","message":"no such route"}})"));
        }
    }

    std::atomic<int> calls_{0};
    std::atomic<int> running_{0};
    std::atomic<int> max_running_{0};
    std::atomic<int> started_sleeps_{0};
    std::mutex mutex_;
    std::vector<std::thread> threads_;
    std::set<std::thread::id> thread_ids_;
    std::optional<std::thread::id> inline_thread_;
    std::mutex gate_mutex_;
    std::condition_variable gate_cv_;
    bool gate_open_ = false;
    std::atomic<int> waiting_at_gate_{0};
};

inline ServerOptions TestOptions() {
    ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.worker_threads = 4;
    return options;
}

class HttpServerTest : public ::testing::Test {
  protected:
    void StartServer(ServerOptions options = TestOptions()) {
        auto server = HttpServer::Start(std::move(options), handler_);
        ASSERT_TRUE(server) << server.error().message;
        server_ = std::move(*server);
    }
    std::uint16_t port() const { return server_->port(); }

    // One request on a fresh connection.
    std::optional<TestResponse> Fetch(const std::string& request, bool head_request = false) {
        TestConnection connection(port());
        if (!connection.Send(request)) return std::nullopt;
        return connection.ReadResponse(5s, head_request);
    }

    TestHandler handler_;  // declared first: outlives the server
    std::unique_ptr<HttpServer> server_;
};

// A POST to /size (which answers with the body's size) carrying `body` under a content-length.
inline std::string PostSize(const std::string& body) {
    return "POST /size HTTP/1.1\r\nhost: t\r\ncontent-length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Sends `request` from another thread while this one reads the response: a large request does not fit in the
// socket buffers, and the server may answer (413, 431) and stop reading before all of it has been sent.
inline std::optional<TestResponse> SendWhileReading(TestConnection& connection, const std::string& request) {
    std::thread sender([&] { connection.Send(request); });
    auto response = connection.ReadResponse();
    sender.join();
    return response;
}

}  // namespace mh::net::testing
