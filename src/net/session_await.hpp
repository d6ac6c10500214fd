// Awaiting from a connection's coroutines: a BodyStream pull on the worker pool, and a wake-up signal between
// the reader and the writer of one strand. Private to net (includes Asio).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>

#include "net/http.hpp"
#include "net/server_core.hpp"

namespace mh::net::detail {

namespace asio = boost::asio;

// A pull in flight: the completion handler (move-only) and the work guard that keeps its executor running.
template <class CompletionHandler, class WorkGuard>
struct PendingPull {
    CompletionHandler handler;
    WorkGuard work;
};

// Runs stream(out) on the worker pool and completes on the caller's executor with (exception, more). When the
// server stops before the pull ran, it completes with an exception and the stream is not called.
template <class CompletionToken>
auto AsyncPull(ServerCore& core, BodyStream& stream, std::string& out, CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::exception_ptr, bool)>(
        [&core, &stream, &out](auto handler) {
            auto work = asio::make_work_guard(asio::get_associated_executor(handler));
            // The pool takes copyable tasks; the handler is move-only.
            auto pending = std::make_shared<PendingPull<decltype(handler), decltype(work)>>(
                PendingPull<decltype(handler), decltype(work)>{std::move(handler), std::move(work)});
            core.Post([&stream, &out, pending](bool run) {
                std::exception_ptr error;
                bool more = false;
                if (!run) {
                    error = std::make_exception_ptr(std::runtime_error("the server is stopping"));
                } else {
                    try {
                        more = stream(out);
                    } catch (...) {
                        error = std::current_exception();
                    }
                }
                auto executor = pending->work.get_executor();
                asio::post(executor, [pending, error, more]() mutable { std::move(pending->handler)(error, more); });
                pending->work.reset();
            });
        },
        token);
}

// A condition-variable stand-in for two coroutines on one strand: Wait() until Notify(). Waiters re-check
// their condition in a loop, so a Notify() with nobody waiting is harmless.
class Signal {
  public:
    explicit Signal(const asio::any_io_executor& executor) : timer_(executor, kNever) {}

    asio::awaitable<void> Wait() {
        timer_.expires_at(kNever);
        co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    void Notify() { timer_.cancel(); }

  private:
    static constexpr auto kNever = std::chrono::steady_clock::time_point::max();
    asio::steady_timer timer_;
};

}  // namespace mh::net::detail
