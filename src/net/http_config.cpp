#include "net/http_config.hpp"

namespace mh::net {

void HttpConfig::Describe(config::Section& section) {
    section.Key("address", address, "address the web server (API, pages, health, metrics) listens on")
        .Key("port", port, "its port; 0 picks a free one")
        .Key("threads", threads, "I/O threads; 0: one per core")
        .Key("body_limit_kb", body_limit_kb, "largest request body (KiB); larger ones get 413")
        .Key("header_timeout_ms", header_timeout_ms,
             "a request head must arrive within this (ms), or the connection closes")
        .Key("idle_timeout_s", idle_timeout_s, "idle keep-alive connections close after this (s)")
        .Key("max_connections", max_connections, "connections beyond this are answered 503 and closed")
        .Key("public_url", public_url, "how users reach this server; used for links in e-mails");
}

Status HttpConfig::Validate() const {
    if (port < 0 || port > 65535) return config::Invalid("http.port must be 0..65535");
    if (threads < 0 || threads > 256) return config::Invalid("http.threads must be 0..256");
    if (body_limit_kb < 1 || body_limit_kb > 1'048'576) return config::Invalid("http.body_limit_kb must be 1..1048576");
    if (header_timeout_ms < 100) return config::Invalid("http.header_timeout_ms must be at least 100");
    if (idle_timeout_s < 1) return config::Invalid("http.idle_timeout_s must be at least 1");
    if (max_connections < 1) return config::Invalid("http.max_connections must be at least 1");
    return Ok();
}

}  // namespace mh::net
