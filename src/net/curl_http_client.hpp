// The HttpClient on libcurl (Debian's libcurl4-openssl-dev, OpenSSL for TLS). main/cli makes one and hands it, as
// an HttpClient&, to the modules that call out. The header includes no curl.
//
// What the client shares between all its requests and sessions: the DNS cache and TLS session tickets (a libcurl
// share object, locked per kind of data). What each session has alone: its cookie jar and its connection, kept
// alive between its requests. Sessionless Send() opens a connection per call.
#pragma once

#include <memory>

#include "core/result.hpp"
#include "net/http_client.hpp"

namespace mh::net {

// kInvalidArgument for options that cannot work (a ca_file that cannot be read, zero timeouts or caps).
Result<std::unique_ptr<HttpClient>> MakeCurlHttpClient(HttpClientOptions options);

}  // namespace mh::net
