// MailOutbox: e-mails leave through here, off the request path. Post() queues (at most `capacity` waiting; beyond
// that it refuses, so a sign-up flood cannot grow memory) and returns at once; one thread sends them with
// SendMail, retrying failures with backoff (all but bad addresses and a refused login, which never improve), and logs
// what it could not deliver. Post() and the counters may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "net/smtp_client.hpp"

namespace mh::net {

struct OutboxOptions {
    SmtpOptions smtp;
    std::size_t capacity = 1000;
    int attempts = 3;
    std::chrono::milliseconds first_retry{2'000};  // doubled after each failure
};

class MailOutbox {
  public:
    MailOutbox(OutboxOptions options, const Clock& clock);
    ~MailOutbox();  // sends nothing more; abandons a send in progress and waits for its thread
    MailOutbox(const MailOutbox&) = delete;
    MailOutbox& operator=(const MailOutbox&) = delete;

    // False (and logged) when the queue is full or the outbox is stopping.
    bool Post(MailMessage message);
    std::uint64_t sent() const;
    std::uint64_t failed() const;

  private:
    void Run(std::stop_token stop);

    const OutboxOptions options_;
    const Clock& clock_;
    mutable std::mutex mutex_;
    std::condition_variable_any wake_;
    std::deque<MailMessage> queue_;
    std::uint64_t sent_ = 0;
    std::uint64_t failed_ = 0;
    std::jthread thread_;
};

}  // namespace mh::net
