#include "store/postgres/placeholders.hpp"

#include <cctype>

namespace mh::store::postgres {
namespace {

bool IsIdentifierChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || (static_cast<unsigned char>(c) & 0x80);
}

Error Unterminated(std::string_view what) {
    return MakeError(Errc::kInvalidArgument, "SQL text has an unterminated " + std::string(what));
}

}  // namespace

Result<RewrittenSql> RewritePlaceholders(std::string_view sql) {
    RewrittenSql out;
    out.text.reserve(sql.size() + 16);
    std::size_t i = 0;
    // Copies sql[i, end) verbatim and moves past it.
    const auto copy_to = [&](std::size_t end) {
        out.text.append(sql.substr(i, end - i));
        i = end;
    };
    while (i < sql.size()) {
        const char c = sql[i];
        if (c == '\'') {
            // A literal; E'...' (or e'...') also lets a backslash escape the next character. '' is a quote.
            const bool escapes =
                i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !IsIdentifierChar(sql[i - 2]));
            std::size_t j = i + 1;
            for (;;) {
                if (j >= sql.size()) return Unterminated("string literal");
                if (escapes && sql[j] == '\\') {
                    j += 2;
                    continue;
                }
                if (sql[j] == '\'') {
                    if (j + 1 < sql.size() && sql[j + 1] == '\'') {
                        j += 2;
                        continue;
                    }
                    break;
                }
                ++j;
            }
            copy_to(j + 1);
        } else if (c == '"') {
            std::size_t j = i + 1;
            for (;;) {
                j = sql.find('"', j);
                if (j == std::string_view::npos) return Unterminated("quoted identifier");
                if (j + 1 < sql.size() && sql[j + 1] == '"') {
                    j += 2;
                    continue;
                }
                break;
            }
            copy_to(j + 1);
        } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
            const std::size_t end = sql.find('\n', i);
            copy_to(end == std::string_view::npos ? sql.size() : end);
        } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
            // PostgreSQL's block comments nest.
            std::size_t j = i + 2;
            int depth = 1;
            while (depth > 0) {
                if (j + 1 >= sql.size()) return Unterminated("comment");
                if (sql[j] == '/' && sql[j + 1] == '*') {
                    ++depth;
                    j += 2;
                } else if (sql[j] == '*' && sql[j + 1] == '/') {
                    --depth;
                    j += 2;
                } else {
                    ++j;
                }
            }
            copy_to(j);
        } else if (c == '$' && (i == 0 || !IsIdentifierChar(sql[i - 1]))) {
            // $tag$ ... $tag$ (the tag may be empty); `$1` is a parameter of PostgreSQL's own, copied as is.
            std::size_t j = i + 1;
            const bool parameter = j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0;
            while (!parameter && j < sql.size() && IsIdentifierChar(sql[j])) ++j;
            if (!parameter && j < sql.size() && sql[j] == '$') {
                const std::string_view tag = sql.substr(i, j - i + 1);
                const std::size_t close = sql.find(tag, j + 1);
                if (close == std::string_view::npos) return Unterminated("dollar-quoted string");
                copy_to(close + tag.size());
            } else {
                copy_to(i + 1);
            }
        } else if (c == '?') {
            std::size_t j = i + 1;
            long number = 0;
            while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0) {
                number = number * 10 + (sql[j] - '0');
                if (number > kMaxParameters) {
                    return MakeError(Errc::kInvalidArgument,
                                     "SQL parameter number past " + std::to_string(kMaxParameters));
                }
                ++j;
            }
            if (j == i + 1) {
                number = out.parameters + 1;
                if (number > kMaxParameters) {
                    return MakeError(Errc::kInvalidArgument,
                                     "more than " + std::to_string(kMaxParameters) + " SQL parameters");
                }
            } else if (number == 0) {
                return MakeError(Errc::kInvalidArgument, "SQL parameters are numbered from 1 (?0 given)");
            }
            out.text.push_back('$');
            out.text.append(std::to_string(number));
            if (number > out.parameters) out.parameters = static_cast<int>(number);
            i = j;
        } else {
            out.text.push_back(c);
            ++i;
        }
    }
    return out;
}

}  // namespace mh::store::postgres
