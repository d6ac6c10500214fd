// Request targets: splitting "path?query" and percent-decoding, with the server's safety rules.
//
// Pure functions, no I/O; the server applies ParseTarget() to every request before the Handler sees it, so a
// Handler can trust Request::path (see docs/http_server.md, "Path rules").
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mh::net {

struct ParsedTarget {
    std::string path;   // percent-decoded; starts with '/' (or is "*" for "OPTIONS *")
    std::string query;  // raw, without '?'; its percent-encoding is checked but not decoded
};

// Splits and decodes a request target in origin form ("/a/b?x=1"), absolute form ("http://host/a?x=1"; the
// scheme and authority are dropped) or asterisk form ("*"). Fails with kInvalidArgument when the target has
// a malformed %XX, a fragment, bytes outside visible ASCII, or when the decoded path holds a control character
// (NUL included) or a "." or ".." segment. Dot segments are rejected, not normalised: clients normalise them
// before sending, so one that arrives (often as %2e%2e) is a traversal attempt.
Result<ParsedTarget> ParseTarget(std::string_view target);

// Decodes %XX escapes; with `plus_as_space` (query strings) '+' becomes ' '. Fails on a '%' that is not
// followed by two hex digits.
Result<std::string> PercentDecode(std::string_view text, bool plus_as_space = false);

}  // namespace mh::net
