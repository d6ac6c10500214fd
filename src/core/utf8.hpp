// UTF-8 validation for text from outside (forms, JSON strings, device names).
#pragma once

#include <cstddef>
#include <string_view>

namespace mh {

// Length of the valid UTF-8 sequence starting at s[i] (1 to 4), or 0 when it is not one (overlong forms,
// surrogates and code points above U+10FFFF are not).
std::size_t Utf8Length(std::string_view s, std::size_t i);

inline bool ValidUtf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = Utf8Length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

}  // namespace mh
