// Assets: the embedded static files (web/static/ and the npm packages' built files) served under
// /static/, gzip-compressed once at start, with an ETag and a content-hashed URL (Url()) that browsers may
// cache for a year. Immutable after construction; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "net/http.hpp"

namespace mh::web {

class Assets {
  public:
    Assets();  // compresses every embedded static file

    // The URL to put in pages: "/static/app.js?v=<hash>".
    std::string Url(std::string_view name) const;
    // GET /static/<name>: 200 (gzip when accepted), 304 for a matching If-None-Match, 404 otherwise.
    net::Response Serve(const net::Request& request, std::string_view name) const;

    // Bytes shipped for these files when gzip-compressed (for the page-weight budget).
    std::size_t GzipSize(std::string_view name) const;

  private:
    struct Asset {
        std::string_view plain;
        std::string gzip;
        std::string etag;  // quoted
        std::string version;
        std::string content_type;
    };
    std::map<std::string, Asset, std::less<>> assets_;
};

// gzip (RFC 1952) of `data` at the best compression.
std::string Gzip(std::string_view data);

}  // namespace mh::web
