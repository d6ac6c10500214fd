#include "api/errors.hpp"

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

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned min = 0;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    unsigned code = c & (0xFF >> (n + 1));
    for (std::size_t k = 1; k < n; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) return 0;
        code = (code << 6) | (cc & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
    return n;
}

}  // namespace

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
