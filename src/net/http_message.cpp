#include "net/http_message.hpp"

#include <algorithm>
#include <boost/beast/http/error.hpp>

namespace mh::net::detail {

namespace http = boost::beast::http;

namespace {

void AppendJsonEscaped(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (byte < 0x20 || byte >= 0x7f) {  // messages are ours and ASCII; anything else is escaped away
            out += "\\u00";
            out.push_back(kHex[byte >> 4]);
            out.push_back(kHex[byte & 0xf]);
        } else {
            out.push_back(c);
        }
    }
}

bool IsTokenChar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

Response ErrorResponse(int status, std::string_view code, std::string_view message) {
    std::string body = R"({"error":{"code":")";
    AppendJsonEscaped(body, code);
    body += R"(","message":")";
    AppendJsonEscaped(body, message);
    body += "\"}}";
    return Response::Json(status, std::move(body));
}

Method ToMethod(http::verb verb) {
    switch (verb) {
        case http::verb::get: return Method::kGet;
        case http::verb::head: return Method::kHead;
        case http::verb::post: return Method::kPost;
        case http::verb::put: return Method::kPut;
        case http::verb::patch: return Method::kPatch;
        case http::verb::delete_: return Method::kDelete;
        case http::verb::options: return Method::kOptions;
        default: return Method::kOther;
    }
}

std::string ToLower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

bool IsValidHeader(std::string_view name, std::string_view value) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) return false;
    return std::none_of(value.begin(), value.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && c != '\t') || byte == 0x7f;
    });
}

bool HasBody(int status) {
    return status != 204 && status != 304;
}

const boost::system::error_category& HttpErrorCategory() {
    static const boost::system::error_category& category = make_error_code(http::error::end_of_stream).category();
    return category;
}

}  // namespace mh::net::detail
