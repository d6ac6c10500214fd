// HTTP requests and responses as plain values, so that the API and web layers never include Beast.
//
// The server (net/http_server.hpp) parses a request into a Request, hands it to the Handler with a Reply,
// and writes whatever Response the Reply receives. A Reply may be called from any thread, exactly once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mh::net {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

const char* MethodName(Method method) noexcept;

using Headers = std::vector<std::pair<std::string, std::string>>;  // names in lower case

struct Request {
    Method method = Method::kGet;
    std::string target;  // as received: path and query
    std::string path;    // percent-decoded path, without the query
    std::string query;   // raw query string, without '?'
    Headers headers;
    std::string body;
    std::string remote_address;  // peer IP, for rate limits and logs

    // The first header with this (lower-case) name.
    std::optional<std::string_view> Header(std::string_view name) const;
    // A query parameter, percent-decoded ('+' as space); the first if repeated.
    std::optional<std::string> Param(std::string_view name) const;
};

// Produces a streamed body piece by piece: appends the next piece to `out` and returns true, or returns false
// when the body is complete. Called on a worker thread; may block briefly (database reads).
using BodyStream = std::function<bool(std::string& out)>;

// Produces a streamed body whose pieces come when they come (server-sent events): when the server is ready for
// the next piece it calls the stream with `next` (on a worker thread, never twice at once); the producer calls
// next(piece, more) exactly once, from any thread, now or later. more=false ends the body (after `piece`, which
// may be empty). Calling `next` after the connection or the server is gone is harmless; a `next` destroyed
// uncalled ends the connection like a failing BodyStream. A dead client is noticed only when a piece is written,
// so an endless stream should send periodic pieces (heartbeats). Stop() ends a stream that waits for its next
// piece (last chunk, then close) rather than waiting for the drain. The server destroys the stream function
// (and with it the producer's state) as soon as the response ends.
using NextPiece = std::function<void(std::string piece, bool more)>;
using AsyncBodyStream = std::function<void(NextPiece next)>;

struct Response {
    int status = 200;
    Headers headers;
    std::string body;
    BodyStream stream;             // when set, the body is sent chunked from it and `body` is ignored
    AsyncBodyStream async_stream;  // when set, the body is sent chunked from it; `body` and `stream` are ignored

    Response& Set(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }

    static Response Json(int status, std::string body) {
        Response r;
        r.status = status;
        r.body = std::move(body);
        r.Set("content-type", "application/json");
        return r;
    }
    static Response Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8") {
        Response r;
        r.status = status;
        r.body = std::move(body);
        r.Set("content-type", std::move(content_type));
        return r;
    }
};

using Reply = std::function<void(Response)>;

// The application behind the server. Handle() runs on a worker thread, not an I/O thread, so it may block
// briefly on the database; it must call `reply` exactly once, now or later, from any thread.
//
// A request for which RunsInline() says true is handled on the I/O thread that parsed it instead: that saves
// the hand-off to the pool (a thread wake-up, a sizeable part of a small request's cost). Say true only for
// short work that does not wait on others: in-memory lookups, parsing a small body, handing samples to the
// writer queue (an occasional cache fill from a database reader that never waits for writers is fine). Called
// on the I/O thread for every request, so it must itself be cheap and never block.
class Handler {
  public:
    virtual ~Handler() = default;
    virtual void Handle(Request request, Reply reply) = 0;
    virtual bool RunsInline(const Request& /*request*/) const { return false; }
};

}  // namespace mh::net
