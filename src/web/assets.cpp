#include "web/assets.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <stdexcept>

#include "web/embedded.hpp"

namespace mh::web {
namespace {

constexpr std::string_view kPrefix = "static/";

std::string ContentType(std::string_view name) {
    if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
    if (name.ends_with(".css")) return "text/css; charset=utf-8";
    if (name.ends_with(".svg")) return "image/svg+xml";
    if (name.ends_with(".png")) return "image/png";
    if (name.ends_with(".ico")) return "image/x-icon";
    return "application/octet-stream";
}

// FNV-1a: a content fingerprint for cache busting, not a security measure.
std::uint64_t Fingerprint(std::string_view data) {
    std::uint64_t hash = 14695981039346656037ull;
    for (const unsigned char c : data) hash = (hash ^ c) * 1099511628211ull;
    return hash;
}

bool AcceptsGzip(const net::Request& request) {
    const auto accept = request.Header("accept-encoding");
    return accept && accept->find("gzip") != std::string_view::npos;
}

}  // namespace

std::string Gzip(std::string_view data) {
    z_stream stream{};
    if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("gzip: deflateInit2 failed");
    }
    std::string out(deflateBound(&stream, data.size()) + 32, '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    const int status = deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    if (status != Z_STREAM_END) throw std::runtime_error("gzip: deflate did not finish");
    return out;
}

Assets::Assets() {
    for (const auto& file : EmbeddedFiles()) {
        if (!file.name.starts_with(kPrefix)) continue;
        const auto name = file.name.substr(kPrefix.size());
        const std::string version = fmt::format("{:016x}", Fingerprint(file.data));
        assets_.emplace(std::string(name),
                        Asset{file.data, Gzip(file.data), "\"" + version + "\"", version, ContentType(name)});
    }
}

std::string Assets::Url(std::string_view name) const {
    const auto it = assets_.find(name);
    if (it == assets_.end()) throw std::logic_error("assets: no static file named " + std::string(name));
    return "/static/" + std::string(name) + "?v=" + it->second.version;
}

std::size_t Assets::GzipSize(std::string_view name) const {
    const auto it = assets_.find(name);
    return it == assets_.end() ? 0 : it->second.gzip.size();
}

net::Response Assets::Serve(const net::Request& request, std::string_view name) const {
    const auto it = assets_.find(name);
    if (it == assets_.end()) {
        return net::Response::Text(404, "no such file\n");
    }
    const Asset& asset = it->second;
    net::Response response;
    const bool versioned = request.Param("v") == asset.version;
    response.Set("cache-control", versioned ? "public, max-age=31536000, immutable" : "no-cache");
    response.Set("etag", asset.etag);
    response.Set("vary", "accept-encoding");
    if (request.Header("if-none-match") == std::optional<std::string_view>(asset.etag)) {
        response.status = 304;
        return response;
    }
    response.Set("content-type", asset.content_type);
    if (AcceptsGzip(request)) {
        response.Set("content-encoding", "gzip");
        response.body = asset.gzip;
    } else {
        response.body = std::string(asset.plain);
    }
    return response;
}

}  // namespace mh::web
