// Between net's plain Request/Response values and Beast's messages: methods, response headers a handler may
// set, and the API's error shape for errors the server answers itself. Private to net (includes Beast).
#pragma once

#include <spdlog/spdlog.h>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/system/error_category.hpp>
#include <string>
#include <string_view>

#include "net/http.hpp"

namespace mh::net::detail {

// {"error":{"code":"...","message":"..."}}, the API's error shape.
Response ErrorResponse(int status, std::string_view code, std::string_view message);

Method ToMethod(boost::beast::http::verb verb);
std::string ToLower(std::string_view text);
// A handler's header must not be able to split the response (CR/LF) or break the framing.
bool IsValidHeader(std::string_view name, std::string_view value);
bool HasBody(int status);
// The category of Beast's HTTP parse errors.
const boost::system::error_category& HttpErrorCategory();

// Copies the handler's headers into `message`, dropping the ones the server owns (framing, server, connection).
// Returns true when the handler asked for "connection: close".
template <class Message>
bool FillHeaders(Message& message, const Headers& headers) {
    bool close_requested = false;
    message.set(boost::beast::http::field::server, "meterhub");
    for (const auto& [name, value] : headers) {
        if (!IsValidHeader(name, value)) {
            spdlog::warn("http: dropping a response header with an invalid name or value");
            continue;
        }
        const boost::beast::http::field field = boost::beast::http::string_to_field(name);
        if (field == boost::beast::http::field::connection) {
            close_requested = close_requested || boost::beast::iequals(value, "close");
            continue;
        }
        if (field == boost::beast::http::field::content_length ||
            field == boost::beast::http::field::transfer_encoding || field == boost::beast::http::field::server) {
            continue;
        }
        message.insert(field, name, value);
    }
    return close_requested;
}

}  // namespace mh::net::detail
