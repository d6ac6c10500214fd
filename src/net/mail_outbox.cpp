#include "net/mail_outbox.hpp"

#include <spdlog/spdlog.h>

namespace mh::net {

MailOutbox::MailOutbox(OutboxOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock), thread_([this](std::stop_token stop) { Run(stop); }) {}

MailOutbox::~MailOutbox() {
    thread_.request_stop();
    wake_.notify_all();
}

bool MailOutbox::Post(MailMessage message) {
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= options_.capacity) {
            spdlog::warn("smtp: {} e-mails waiting; the one to {} is dropped", queue_.size(), message.to);
            return false;
        }
        queue_.push_back(std::move(message));
    }
    wake_.notify_one();
    return true;
}

std::uint64_t MailOutbox::sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
}

std::uint64_t MailOutbox::failed() const {
    std::lock_guard lock(mutex_);
    return failed_;
}

void MailOutbox::Run(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
        if (!wake_.wait(lock, stop, [&] { return !queue_.empty(); })) break;
        MailMessage message = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        Status status = Ok();
        auto delay = options_.first_retry;
        for (int attempt = 1; attempt <= options_.attempts && !stop.stop_requested(); ++attempt) {
            status = SendMail(options_.smtp, message, clock_.Now(), stop);
            // Bad addresses never improve, and repeating a refused login only risks the account being locked.
            if (status || status.error().code == Errc::kInvalidArgument ||
                status.error().code == Errc::kUnauthenticated) {
                break;
            }
            if (attempt < options_.attempts) {
                spdlog::warn("{}; retrying in {} s", status.error().message, delay.count() / 1000);
                std::mutex sleep_mutex;
                std::unique_lock sleep_lock(sleep_mutex);
                std::condition_variable_any().wait_for(sleep_lock, stop, delay, [] { return false; });
                delay *= 2;
            }
        }
        if (status) {
            spdlog::info("smtp: e-mail to {} sent ({})", message.to, message.subject);
        } else {
            spdlog::error("smtp: e-mail to {} not sent: {}", message.to, status.error().message);
        }
        lock.lock();
        (status ? sent_ : failed_) += 1;
    }
}

}  // namespace mh::net
