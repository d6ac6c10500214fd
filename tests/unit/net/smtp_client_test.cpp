// SendMail (libcurl's SMTP) and the MailOutbox against real SMTP servers on loopback (aiosmtpd, started once for
// this binary): STARTTLS with a login as a provider's port 587 wants, implicit TLS, a plain relay; wrong
// passwords, missing TLS, untrusted certificates, refusals and unreachable servers are clear errors; header
// injection is refused; the outbox delivers in the background and does not repeat a refused login.
#include "net/smtp_client.hpp"

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "net/mail_outbox.hpp"
#include "smtp_test_server.hpp"

namespace mh::net {
namespace {

using testing::SmtpTestServer;

SmtpTestServer& Server() {
    static SmtpTestServer server;
    return server;
}

// The options for one of the servers, as a user would configure them.
SmtpOptions To(const std::string& which) {
    SmtpOptions options;
    options.host = which == "plain" ? "127.0.0.1" : "localhost";  // the certificate names localhost
    options.port = Server().port(which);
    options.security = which == "plain" ? MailSecurity::kNone
                       : which == "tls" ? MailSecurity::kTls
                                        : MailSecurity::kStartTls;
    if (which != "plain") {
        options.username = SmtpTestServer::kUser;
        options.password = SmtpTestServer::kPassword;
        options.ca_file = Server().ca_file();
    }
    options.timeout = std::chrono::seconds(10);
    return options;
}

const Timestamp kDate = FromMillis(1'790'000'000'000);

MailMessage Message(std::string to = "user@example.org") {
    return {"meterhub@example.org", std::move(to), "Verify your e-mail",
            "Hello,\n.this line starts with a dot\n.\nstill the body after a lone dot\r\nBye\n", "Deye Hard"};
}

std::string ErrorOf(const Status& status) {
    return status ? "sent" : std::string(ErrcName(status.error().code)) + ": " + status.error().message;
}

TEST(Smtp, DeliversThroughStartTlsWithALogin) {
    ASSERT_TRUE(Server().ready());
    const auto before = Server().events();
    const auto sent = SendMail(To("starttls"), Message(), kDate);
    ASSERT_TRUE(sent) << ErrorOf(sent);
    const auto mail = Server().NextMail(before);
    EXPECT_EQ(mail.server, "starttls");
    EXPECT_TRUE(mail.tls);
    EXPECT_EQ(mail.login, SmtpTestServer::kUser);
    EXPECT_EQ(mail.mail_from, "meterhub@example.org");
    EXPECT_EQ(mail.rcpt_tos, std::vector<std::string>{"user@example.org"});
    const std::string& data = mail.data;
    EXPECT_NE(data.find("From: \"Deye Hard\" <meterhub@example.org>\r\n"), std::string::npos) << data;
    EXPECT_NE(data.find("To: user@example.org\r\n"), std::string::npos) << data;
    EXPECT_NE(data.find("Subject: Verify your e-mail\r\n"), std::string::npos) << data;
    EXPECT_NE(data.find("Date: Mon, 21 Sep 2026 14:13:20 +0000\r\n"), std::string::npos) << data;
    EXPECT_NE(data.find("Message-ID: <"), std::string::npos) << data;
    EXPECT_NE(data.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos) << data;
    // Dot-stuffing happened on the wire and was undone by the server: the body arrives as written, a lone dot
    // did not end it early.
    EXPECT_NE(data.find("\r\n\r\nHello,\r\n.this line starts with a dot\r\n.\r\nstill the body after a lone dot\r\n"
                        "Bye\r\n"),
              std::string::npos)
        << data;
}

TEST(Smtp, DeliversOverImplicitTls) {
    const auto before = Server().events();
    const auto sent = SendMail(To("tls"), Message("tls@example.org"), kDate);
    ASSERT_TRUE(sent) << ErrorOf(sent);
    const auto mail = Server().NextMail(before);
    EXPECT_EQ(mail.server, "tls");
    EXPECT_EQ(mail.login, SmtpTestServer::kUser);
    EXPECT_EQ(mail.rcpt_tos, std::vector<std::string>{"tls@example.org"});
}

TEST(Smtp, DeliversToAPlainRelayWithoutTlsOrLogin) {
    const auto before = Server().events();
    const auto sent = SendMail(To("plain"), Message("relay@example.org"), kDate);
    ASSERT_TRUE(sent) << ErrorOf(sent);
    const auto mail = Server().NextMail(before);
    EXPECT_EQ(mail.server, "plain");
    EXPECT_FALSE(mail.tls);
    EXPECT_EQ(mail.login, "");
}

TEST(Smtp, AWrongPasswordIsRefusedWithTheServersReply) {
    auto options = To("starttls");
    options.password = "wrong password";
    const auto refused = SendMail(options, Message(), kDate);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::kUnauthenticated) << refused.error().message;
    EXPECT_NE(refused.error().message.find("login was refused"), std::string::npos) << refused.error().message;
    EXPECT_NE(refused.error().message.find("535"), std::string::npos) << refused.error().message;
}

TEST(Smtp, NoTlsAgainstAServerThatDemandsStartTlsFailsClearly) {
    auto options = To("starttls");
    options.security = MailSecurity::kNone;
    const auto refused = SendMail(options, Message(), kDate);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::kFailedPrecondition) << refused.error().message;
    EXPECT_NE(refused.error().message.find("530"), std::string::npos) << refused.error().message;
    EXPECT_NE(refused.error().message.find("set mail.security = starttls"), std::string::npos)
        << refused.error().message;
}

TEST(Smtp, StartTlsIsRequiredNotOptional) {
    auto options = To("plain");  // offers no STARTTLS
    options.security = MailSecurity::kStartTls;
    const auto refused = SendMail(options, Message(), kDate);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::kFailedPrecondition) << refused.error().message;
    EXPECT_NE(refused.error().message.find("offers no STARTTLS"), std::string::npos) << refused.error().message;
}

TEST(Smtp, TheServersCertificateIsVerified) {
    auto untrusted = To("starttls");
    untrusted.ca_file.clear();  // the system's store does not know the throwaway CA
    const auto refused = SendMail(untrusted, Message(), kDate);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::kFailedPrecondition) << refused.error().message;
    EXPECT_NE(refused.error().message.find("certificate"), std::string::npos) << refused.error().message;

    auto wrong_name = To("tls");
    wrong_name.host = "127.0.0.1";  // the certificate names localhost only
    const auto mismatch = SendMail(wrong_name, Message(), kDate);
    ASSERT_FALSE(mismatch);
    EXPECT_EQ(mismatch.error().code, Errc::kFailedPrecondition) << mismatch.error().message;
}

TEST(Smtp, RefusalsAndUnreachableServersAreClearErrors) {
    const auto refused = SendMail(To("starttls"), Message("nobody@example.org"), kDate);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::kFailedPrecondition);
    EXPECT_NE(refused.error().message.find("RCPT refused: 550 5.1.1 no such user"), std::string::npos)
        << refused.error().message;

    SmtpOptions closed;
    closed.host = "127.0.0.1";
    closed.port = 1;  // nothing listens there
    closed.security = MailSecurity::kNone;
    EXPECT_EQ(SendMail(closed, Message(), kDate).error().code, Errc::kUnavailable);
}

TEST(Smtp, HeaderInjectionIsRefused) {
    const auto options = To("plain");
    const auto before = Server().events();
    MailMessage message{"meterhub@example.org", "user@example.org", "Hi\r\nBcc: victim@example.org", "text"};
    EXPECT_EQ(SendMail(options, message, kDate).error().code, Errc::kInvalidArgument);
    message.subject = "Hi";
    message.to = "user@example.org>\r\nRCPT TO:<victim@example.org";
    EXPECT_EQ(SendMail(options, message, kDate).error().code, Errc::kInvalidArgument);
    message.to = "user@example.org> NOTIFY=NEVER";
    EXPECT_EQ(SendMail(options, message, kDate).error().code, Errc::kInvalidArgument);
    message.to = "user@example.org";
    message.from_name = "Name\nBcc: victim@example.org";
    EXPECT_EQ(SendMail(options, message, kDate).error().code, Errc::kInvalidArgument);
    message.from_name.clear();
    auto bad_host = options;
    bad_host.host = "relay.example.org/evil?x";
    EXPECT_EQ(SendMail(bad_host, message, kDate).error().code, Errc::kInvalidArgument);
    EXPECT_EQ(Server().events(), before) << "nothing reached the server";
}

TEST(Smtp, FormatMessageWritesHeadersAndCrlfLinesAndEncodesNames) {
    MailMessage message{"hub@example.org", "user@example.org", "Subject", "one\ntwo\r\n.three", "Zähler \"Hub\""};
    const std::string text = FormatMessage(message, kDate, "id1");
    EXPECT_TRUE(text.starts_with("From: =?UTF-8?B?WsOkaGxlciAiSHViIg==?= <hub@example.org>\r\n")) << text;
    EXPECT_NE(text.find("Message-ID: <id1@example.org>\r\n"), std::string::npos) << text;
    EXPECT_TRUE(text.ends_with("\r\n\r\none\r\ntwo\r\n.three\r\n")) << "not dot-stuffed: libcurl does that\n" << text;
    message.from_name = R"(Deye "Hard" \ Backend)";
    EXPECT_TRUE(
        FormatMessage(message, kDate, "id").starts_with(R"(From: "Deye \"Hard\" \\ Backend" <hub@example.org>)"));
    message.from_name.clear();
    EXPECT_TRUE(FormatMessage(message, kDate, "id").starts_with("From: hub@example.org\r\n"));
}

TEST(MailOutbox, DeliversInTheBackground) {
    SystemClock clock;
    OutboxOptions options;
    options.smtp = To("starttls");
    const auto before = Server().events();
    {
        MailOutbox outbox(options, clock);
        EXPECT_TRUE(outbox.Post({"meterhub@example.org", "a@example.org", "One", "1"}));
        EXPECT_TRUE(outbox.Post({"meterhub@example.org", "b@example.org", "Two", "2"}));
        ASSERT_TRUE(testing::WaitFor([&] { return outbox.sent() == 2; }));
    }
    const auto mails = Server().MailsAfter(before, Server().events());
    ASSERT_EQ(mails.size(), 2u);
    EXPECT_EQ(mails[0].rcpt_tos, std::vector<std::string>{"a@example.org"});
    EXPECT_EQ(mails[1].rcpt_tos, std::vector<std::string>{"b@example.org"});
}

TEST(MailOutbox, DoesNotRepeatARefusedLogin) {
    SystemClock clock;
    OutboxOptions options;
    options.smtp = To("starttls");
    options.smtp.username = "locked-out@example.org";
    options.attempts = 3;
    options.first_retry = std::chrono::milliseconds(10);
    const auto before = Server().events();
    MailOutbox outbox(options, clock);
    ASSERT_TRUE(outbox.Post({"meterhub@example.org", "a@example.org", "One", "1"}));
    ASSERT_TRUE(testing::WaitFor([&] { return outbox.failed() == 1; }));
    const auto logins = Server().LoginsAfter(before);
    ASSERT_EQ(logins.size(), 1u) << "a refused login is not repeated";
    EXPECT_EQ(logins[0].user, "locked-out@example.org");
    EXPECT_FALSE(logins[0].ok);
}

}  // namespace
}  // namespace mh::net
