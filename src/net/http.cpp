#include "net/http.hpp"

#include <algorithm>
#include <cstddef>

#include "net/target.hpp"

namespace mh::net {
namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace

const char* MethodName(Method method) noexcept {
    switch (method) {
        case Method::kGet: return "GET";
        case Method::kHead: return "HEAD";
        case Method::kPost: return "POST";
        case Method::kPut: return "PUT";
        case Method::kPatch: return "PATCH";
        case Method::kDelete: return "DELETE";
        case Method::kOptions: return "OPTIONS";
        case Method::kOther: return "OTHER";
    }
    return "OTHER";
}

std::optional<std::string_view> Request::Header(std::string_view name) const {
    // Names are stored in lower case; comparing without case keeps a caller's "Content-Type" working too.
    for (const auto& [key, value] : headers) {
        if (EqualsNoCase(key, name)) return std::string_view(value);
    }
    return std::nullopt;
}

std::optional<std::string> Request::Param(std::string_view name) const {
    std::string_view rest = query;
    while (!rest.empty()) {
        const std::size_t amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        const std::string_view raw_key = pair.substr(0, eq);
        const std::string_view raw_value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
        auto key = PercentDecode(raw_key, /*plus_as_space=*/true);
        if (!key || *key != name) continue;
        auto value = PercentDecode(raw_value, /*plus_as_space=*/true);
        if (!value) continue;  // the server rejects such queries; a hand-built Request just does not match
        return std::move(*value);
    }
    return std::nullopt;
}

}  // namespace mh::net
