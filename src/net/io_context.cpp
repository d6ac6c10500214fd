#include "net/io_context.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "net/io_context_asio.hpp"

namespace mh::net {

namespace asio = boost::asio;

struct IoContext::Impl {
    explicit Impl(std::size_t count, std::string context_name)
        : name(std::move(context_name)),
          thread_count(count),
          context(static_cast<int>(count)),
          work(context.get_executor()) {}

    void Run() {
        for (;;) {
            try {
                context.run();
                return;
            } catch (const std::exception& e) {
                // Coroutines catch their own exceptions; this is a last line, so that one bad handler does not
                // take an I/O thread down with it.
                spdlog::error("{}: an I/O thread caught: {}", name, e.what());
            } catch (...) {
                spdlog::error("{}: an I/O thread caught a non-standard exception", name);
            }
        }
    }

    const std::string name;
    const std::size_t thread_count;
    asio::io_context context;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::mutex stop_mutex;
    std::vector<std::thread> threads;
};

IoContext::IoContext(std::size_t threads, std::string name) {
    if (threads == 0) threads = std::max(1U, std::thread::hardware_concurrency());
    impl_ = std::make_unique<Impl>(threads, std::move(name));
    impl_->threads.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) impl_->threads.emplace_back([impl = impl_.get()] { impl->Run(); });
}

IoContext::~IoContext() {
    Stop();
}

std::size_t IoContext::threads() const {
    return impl_->thread_count;
}

bool IoContext::RunningInThisThread() const {
    return impl_->context.get_executor().running_in_this_thread();
}

void IoContext::Stop() {
    std::lock_guard lock(impl_->stop_mutex);
    if (impl_->work) {
        impl_->work.reset();
        impl_->context.stop();
    }
    for (std::thread& thread : impl_->threads) thread.join();
    impl_->threads.clear();
}

asio::io_context& AsioContextOf(IoContext& io) {
    return io.impl_->context;
}

}  // namespace mh::net
