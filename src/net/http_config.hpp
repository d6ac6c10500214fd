// HttpConfig: the [http] section, the web server's address, threads and limits (cli maps it onto
// net::HttpServerOptions). A plain value; see core/config_section.hpp for how a section is described and loaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/config_section.hpp"
#include "core/result.hpp"

namespace mh::net {

struct HttpConfig {
    static constexpr std::string_view kSection = "http";

    std::string address = "0.0.0.0";
    std::int64_t port = 8080;
    std::int64_t threads = 0;                 // I/O threads; 0: one per core
    std::int64_t body_limit_kb = 8192;        // largest request body
    std::int64_t header_timeout_ms = 10'000;  // a request head must arrive within this (slowloris defence)
    std::int64_t idle_timeout_s = 60;         // keep-alive connections close after this much silence
    std::int64_t max_connections = 10'000;
    std::string public_url = "http://localhost:8080";  // how users reach this server (links in e-mails)

    void Describe(config::Section& section);
    Status Validate() const;
};

}  // namespace mh::net
