#include "net/http_client.hpp"

#include <algorithm>
#include <cctype>

namespace mh::net {

std::optional<std::string_view> HttpResponse::Header(std::string_view name) const {
    const auto same = [](std::string_view a, std::string_view b) {
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
                   return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
               });
    };
    for (const auto& [key, value] : headers) {
        if (same(key, name)) return std::string_view(value);
    }
    return std::nullopt;
}

}  // namespace mh::net
