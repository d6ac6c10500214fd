// Awaiting from a connection's coroutines: a BodyStream pull on the worker pool, and a wake-up signal between
// the reader and the writer of one strand. Private to net (includes Asio).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <string>

#include "net/http.hpp"

namespace mh::net::detail {

namespace asio = boost::asio;

// Runs stream(out) on the pool and completes on the caller's executor with (exception, more).
template <class CompletionToken>
auto AsyncPull(asio::thread_pool& pool, BodyStream& stream, std::string& out, CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::exception_ptr, bool)>(
        [&pool, &stream, &out](auto handler) {
            auto work = asio::make_work_guard(asio::get_associated_executor(handler));
            asio::post(pool, [&stream, &out, handler = std::move(handler), work = std::move(work)]() mutable {
                std::exception_ptr error;
                bool more = false;
                try {
                    more = stream(out);
                } catch (...) {
                    error = std::current_exception();
                }
                auto executor = work.get_executor();
                asio::post(executor,
                           [handler = std::move(handler), error, more]() mutable { std::move(handler)(error, more); });
                work.reset();
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
