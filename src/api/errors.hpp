// The API's one error shape, {"error": {"code": "...", "message": "...", "details": ...}}, and the one table
// that maps error categories to HTTP status codes.
#pragma once

#include <string>

#include "core/result.hpp"
#include "net/http.hpp"

namespace mh::api {

int HttpStatus(Errc code) noexcept;

// `details_json` is a JSON value (object, array, ...) or empty for none.
net::Response ErrorResponse(const Error& error, const std::string& details_json = "");
net::Response ErrorResponse(int status, const std::string& code, const std::string& message,
                            const std::string& details_json = "");

// A JSON string literal for `text`, escaped; invalid UTF-8 is replaced so the output is always valid JSON.
std::string JsonString(std::string_view text);

}  // namespace mh::api
