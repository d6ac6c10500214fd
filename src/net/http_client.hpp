// HttpClient: meterhub's outbound HTTP(S) — the one way modules call other services (the SolarEdge API, the USMS
// portal). An abstract interface, so a module takes an HttpClient& and main wires the libcurl one
// (net/curl_http_client.hpp); nothing here includes curl.
//
// Calls are blocking: make them from a worker thread, never from an I/O thread. Every call is bounded: a connect
// and a total timeout, a cap on the response body and headers, a redirect limit.
//
// Retries are NOT done here. A failed call returns its Error once; the caller decides whether and when to try
// again (kUnavailable is the code worth retrying; the others will fail the same way).
//
// Cookies: HttpClient::Send keeps none. NewSession() gives an HttpSession whose requests share one in-memory cookie
// jar (and a kept-alive connection); sessions never see each other's cookies. A portal login lives in a session.
//
// Thread-safety: an HttpClient may be shared by any number of threads. An HttpSession is meant for one thread at a
// time (one conversation with one site); concurrent Send calls on one session are serialized, not interleaved.
// A session must not outlive the client that made it.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace mh::net {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;  // in order; names as sent or received

struct HttpRequest {
    std::string method = "GET";  // any token; GET and HEAD send no body
    std::string url;             // http:// or https:// only
    HttpHeaders headers;         // e.g. {"Content-Type", "application/json"}; no CR or LF anywhere
    std::string body;
    bool follow_redirects = true;                      // false: a 3xx comes back as the response, Location and all
    std::optional<std::chrono::milliseconds> timeout;  // total for this call; default: the client's
};

struct HttpResponse {
    int status = 0;
    HttpHeaders headers;    // of the final response (after redirects), in order; names as the server wrote them
    std::string body;       // decoded (gzip, deflate, br and zstd are accepted and undone)
    std::string final_url;  // where the body came from, after redirects

    // The first header with this name (ASCII case-insensitive), or nothing.
    std::optional<std::string_view> Header(std::string_view name) const;
};

struct HttpClientOptions {
    std::chrono::milliseconds connect_timeout{10'000};               // TCP and TLS handshake
    std::chrono::milliseconds total_timeout{60'000};                 // the whole call, redirects included
    std::size_t max_response_bytes = std::size_t{16} * 1024 * 1024;  // decoded body; beyond it the transfer is aborted
    std::size_t max_header_bytes = std::size_t{256} * 1024;          // all response headers of one call together
    int max_redirects = 5;                                           // followed at most; more is an error
    // PEM file of the certificate authorities to trust; empty: the system's store. Verification of the server's
    // certificate and host name is always on: there is deliberately no switch to turn it off.
    std::string ca_file;
    std::string user_agent = "meterhub/0.1.0";
};

// Errors, with a message that names the URL and what went wrong:
//   kInvalidArgument   a malformed or non-HTTP(S) URL, a bad method, CR/LF in a header
//   kUnavailable       DNS, connect or TLS handshake failure, a timeout, a connection cut short
//   kFailedPrecondition the server's certificate or name failed verification; more than max_redirects redirects
//   kResourceExhausted the response is larger than max_response_bytes (or its headers than max_header_bytes)
// A response with any HTTP status, 4xx and 5xx included, is a value, not an Error.
class HttpSession {
  public:
    virtual ~HttpSession() = default;
    virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

class HttpClient {
  public:
    virtual ~HttpClient() = default;

    // One request without cookies.
    virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;

    // A new session with an empty cookie jar of its own.
    virtual std::unique_ptr<HttpSession> NewSession() = 0;
};

}  // namespace mh::net
