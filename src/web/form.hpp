// Form: the fields of an application/x-www-form-urlencoded body (what an HTML form posts), decoded.
// Parse() refuses invalid percent escapes, invalid UTF-8 and more than 200 fields.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mh::web {

class Form {
  public:
    static Result<Form> Parse(std::string_view body);

    // The field's value with surrounding blanks trimmed; "" when absent.
    std::string Get(std::string_view name) const;
    std::optional<std::string> Find(std::string_view name) const;

  private:
    std::map<std::string, std::string, std::less<>> fields_;
};

// Percent-decoding with '+' as space; nullopt for a broken escape.
std::optional<std::string> UrlDecode(std::string_view text);
std::string UrlEncode(std::string_view text);
// A decimal integer that is the whole of `text` (an id from a path), else nullopt.
std::optional<std::int64_t> ParseInteger(std::string_view text);

}  // namespace mh::web
