// Rewrites the portable SQL layer's `?` / `?N` placeholders into PostgreSQL's `$N`.
//
// `?` takes the number after the largest one used so far and `?N` names parameter N, as in SQLite, so a text that
// mixes them means the same on both backends. Question marks inside string literals ('...', E'...'), quoted
// identifiers ("..."), dollar-quoted strings ($tag$...$tag$) and comments are left alone. PostgreSQL's jsonb
// operators `?`, `?|` and `?&` cannot be written in portable SQL (docs/design.md, "Repositories and portable SQL").
// A pure function: thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mh::store::postgres {

struct RewrittenSql {
    std::string text;
    int parameters = 0;  // the largest parameter number used
};

// kInvalidArgument for `?0`, a number past kMaxParameters, or an unterminated literal or comment.
Result<RewrittenSql> RewritePlaceholders(std::string_view sql);

// PostgreSQL's limit on the parameters of one statement (the wire protocol's 16-bit count).
inline constexpr int kMaxParameters = 65535;

}  // namespace mh::store::postgres
