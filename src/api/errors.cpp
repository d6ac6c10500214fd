#include "api/errors.hpp"

#include "core/utf8.hpp"

namespace mh::api {

int HttpStatus(Errc code) noexcept {
    switch (code) {
        case Errc::kInvalidArgument: return 422;
        case Errc::kNotFound: return 404;
        case Errc::kAlreadyExists: return 409;
        case Errc::kPermissionDenied: return 403;
        case Errc::kUnauthenticated: return 401;
        case Errc::kResourceExhausted: return 503;
        case Errc::kUnavailable: return 503;
        case Errc::kFailedPrecondition: return 409;
        case Errc::kDataLoss: return 500;
        case Errc::kNotImplemented: return 501;
        case Errc::kInternal: return 500;
    }
    return 500;
}

std::string JsonString(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out += '"';
    for (std::size_t i = 0; i < text.size();) {
        const char ch = text[i];
        switch (ch) {
            case '"': out += "\\\""; ++i; continue;
            case '\\': out += "\\\\"; ++i; continue;
            case '\n': out += "\\n"; ++i; continue;
            case '\r': out += "\\r"; ++i; continue;
            case '\t': out += "\\t"; ++i; continue;
            case '<': out += "\\u003c"; ++i; continue;  // safe to embed in HTML script blocks
            default: break;
        }
        if (static_cast<unsigned char>(ch) < 0x20) {
            static const char* kHex = "0123456789abcdef";
            out += "\\u00";
            out += kHex[(ch >> 4) & 0xF];
            out += kHex[ch & 0xF];
            ++i;
            continue;
        }
        const std::size_t n = Utf8Length(text, i);
        if (n == 0) {
            out += "\\ufffd";
            ++i;
        } else {
            out.append(text.substr(i, n));
            i += n;
        }
    }
    out += '"';
    return out;
}

net::Response ErrorResponse(int status, const std::string& code, const std::string& message,
                            const std::string& details_json) {
    std::string body = "{\"error\":{\"code\":" + JsonString(code) + ",\"message\":" + JsonString(message);
    if (!details_json.empty()) body += ",\"details\":" + details_json;
    body += "}}";
    return net::Response::Json(status, std::move(body));
}

net::Response ErrorResponse(const Error& error, const std::string& details_json) {
    return ErrorResponse(HttpStatus(error.code), ErrcName(error.code), error.message, details_json);
}

}  // namespace mh::api
