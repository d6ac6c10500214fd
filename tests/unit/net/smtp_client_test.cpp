// The SMTP client against a small SMTP server on loopback: a message arrives with its headers and a dot-stuffed
// body; refusals, an unreachable relay and header injection are clear errors; the outbox delivers in the
// background.
#include "net/smtp_client.hpp"

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "net/mail_outbox.hpp"
#include "smtp_sink.hpp"

namespace mh::net {
namespace {

using testing::SmtpSink;

SmtpOptions To(const SmtpSink& sink) {
    SmtpOptions options;
    options.host = "127.0.0.1";
    options.port = sink.port();
    options.timeout = std::chrono::seconds(5);
    return options;
}

const Timestamp kDate = FromMillis(1'790'000'000'000);

TEST(Smtp, DeliversAMessageWithHeadersAndDotStuffing) {
    SmtpSink sink;
    MailMessage message{"meterhub@example.org", "user@example.org", "Verify your e-mail",
                        "Hello,\n.this line starts with a dot\nBye\n"};
    ASSERT_TRUE(SendMail(To(sink), message, kDate));
    auto received = sink.WaitFor(1);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].mail_from, "<meterhub@example.org>");
    EXPECT_EQ(received[0].rcpt_to, "<user@example.org>");
    const std::string& data = received[0].data;
    EXPECT_NE(data.find("Subject: Verify your e-mail\n"), std::string::npos) << data;
    EXPECT_NE(data.find("Date: Mon, 21 Sep 2026 14:13:20 +0000\n"), std::string::npos) << data;
    EXPECT_NE(data.find("Content-Type: text/plain; charset=utf-8\n"), std::string::npos);
    EXPECT_NE(data.find("\n..this line starts with a dot\n"), std::string::npos) << "dot-stuffed on the wire";
}

TEST(Smtp, RefusalsAndUnreachableRelaysAreClearErrors) {
    SmtpSink refusing(/*refuse_rcpt=*/true);
    MailMessage message{"meterhub@example.org", "nobody@example.org", "Hi", "text"};
    auto refused = SendMail(To(refusing), message, kDate);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::kFailedPrecondition);
    EXPECT_NE(refused.error().message.find("550 no such user"), std::string::npos) << refused.error().message;

    SmtpOptions closed;
    closed.host = "127.0.0.1";
    closed.port = 1;  // nothing listens there
    EXPECT_EQ(SendMail(closed, message, kDate).error().code, Errc::kUnavailable);
}

TEST(Smtp, HeaderInjectionIsRefused) {
    SmtpSink sink;
    MailMessage message{"meterhub@example.org", "user@example.org", "Hi\r\nBcc: victim@example.org", "text"};
    EXPECT_EQ(SendMail(To(sink), message, kDate).error().code, Errc::kInvalidArgument);
    message.subject = "Hi";
    message.to = "user@example.org>\r\nRCPT TO:<victim@example.org";
    EXPECT_EQ(SendMail(To(sink), message, kDate).error().code, Errc::kInvalidArgument);
}

TEST(MailOutbox, DeliversInTheBackground) {
    SmtpSink sink;
    SystemClock clock;
    OutboxOptions options;
    options.smtp = To(sink);
    MailOutbox outbox(options, clock);
    EXPECT_TRUE(outbox.Post({"meterhub@example.org", "a@example.org", "One", "1"}));
    EXPECT_TRUE(outbox.Post({"meterhub@example.org", "b@example.org", "Two", "2"}));
    auto received = sink.WaitFor(2);
    ASSERT_EQ(received.size(), 2u);
    EXPECT_EQ(received[1].rcpt_to, "<b@example.org>");
}

}  // namespace
}  // namespace mh::net
