// Real SMTP servers for tests (tests/servers/smtp_test_server.py, aiosmtpd): "plain" (a relay without TLS or
// login), "starttls" (STARTTLS and AUTH required, port-587 style) and "tls" (implicit TLS and AUTH, port-465
// style), on free loopback ports, with a throwaway certificate for "localhost" in a temporary directory. Start it
// once per test binary; it keeps what it accepted, in order, for every test to read.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "script_server.hpp"
#include "test_support.hpp"

namespace mh::testing {

class SmtpTestServer {
  public:
    static constexpr const char* kUser = "mailer@example.org";  // the only account
    static constexpr const char* kPassword = "right password";

    struct Mail {
        std::string server;  // plain, starttls or tls
        std::string mail_from;
        std::vector<std::string> rcpt_tos;
        std::string data;   // as received, dot-stuffing undone, lines ending in CRLF
        std::string login;  // empty: none
        bool tls = false;
    };
    struct Login {
        std::string user;
        bool ok = false;
    };

    bool ready() const { return server_.ready(); }
    std::uint16_t port(const std::string& which) const { return server_.Port(which); }
    std::string ca_file() const { return dir_.File("cert.pem"); }

    // Events so far; a test notes the count before it acts and waits for more.
    std::size_t events() const { return server_.event_count(); }

    // The messages among events [since, total); waits (bounded) until there are `total` events.
    std::vector<Mail> MailsAfter(std::size_t since, std::size_t total) {
        std::vector<Mail> out;
        for (const auto& event : Events(since, total)) {
            if (!event.contains("server")) continue;
            Mail mail;
            mail.server = event.at("server").as_string();
            mail.mail_from = event.at("mail_from").as_string();
            for (const auto& to : event.at("rcpt_tos").as_array()) mail.rcpt_tos.emplace_back(to.as_string());
            mail.data = event.at("data").as_string();
            mail.login = event.at("login").is_string() ? std::string(event.at("login").as_string()) : "";
            mail.tls = event.at("tls").as_bool();
            out.push_back(std::move(mail));
        }
        return out;
    }
    // Waits (bounded) until a message arrived after event `since`; the first such, or an empty Mail.
    Mail NextMail(std::size_t since) {
        for (std::size_t total = since + 1; total <= since + 10; ++total) {
            auto mails = MailsAfter(since, total);
            if (!mails.empty()) return mails.front();
            if (server_.event_count() < total) break;
        }
        return {};
    }
    // The login attempts after event `since` (no waiting).
    std::vector<Login> LoginsAfter(std::size_t since) {
        std::vector<Login> out;
        for (const auto& event : Events(since, since)) {
            if (event.contains("auth"))
                out.push_back({std::string(event.at("auth").as_string()), event.at("ok").as_bool()});
        }
        return out;
    }

  private:
    std::vector<boost::json::object> Events(std::size_t since, std::size_t total) {
        std::vector<boost::json::object> out;
        const auto lines = server_.WaitForEvents(total);
        for (std::size_t i = since; i < lines.size(); ++i) out.push_back(boost::json::parse(lines[i]).as_object());
        return out;
    }

    TempDir dir_;
    ScriptServer server_{"smtp_test_server.py", {dir_.path().string()}};
};

}  // namespace mh::testing
