#include "net/target.hpp"

#include <algorithm>
#include <cstddef>

namespace mh::net {
namespace {

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    return std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
        const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
        return lower(a) == lower(b);
    });
}

// Drops "scheme://authority" from an absolute-form target, leaving what follows (possibly empty).
std::string_view StripSchemeAndAuthority(std::string_view target) {
    for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
        if (StartsWithNoCase(target, scheme)) {
            std::string_view rest = target.substr(scheme.size());
            const std::size_t end = rest.find_first_of("/?");
            return end == std::string_view::npos ? std::string_view() : rest.substr(end);
        }
    }
    return target;
}

bool IsDotSegment(std::string_view segment) {
    return segment == "." || segment == "..";
}

}  // namespace

Result<std::string> PercentDecode(std::string_view text, bool plus_as_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) {
                return MakeError(Errc::kInvalidArgument, "truncated percent-encoding");
            }
            const int high = HexValue(text[i + 1]);
            const int low = HexValue(text[i + 2]);
            if (high < 0 || low < 0) return MakeError(Errc::kInvalidArgument, "invalid percent-encoding");
            out.push_back(static_cast<char>(high * 16 + low));
            i += 2;
        } else if (c == '+' && plus_as_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

Result<ParsedTarget> ParseTarget(std::string_view target) {
    if (target.empty()) return MakeError(Errc::kInvalidArgument, "empty request target");
    for (const char c : target) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7f) {
            return MakeError(Errc::kInvalidArgument, "request target holds a byte outside visible ASCII");
        }
    }
    if (target == "*") return ParsedTarget{"*", ""};
    if (target.find('#') != std::string_view::npos) {
        return MakeError(Errc::kInvalidArgument, "request target must not carry a fragment");
    }

    std::string_view rest = StripSchemeAndAuthority(target);
    std::string_view raw_path = rest;
    std::string_view query;
    if (const std::size_t question = rest.find('?'); question != std::string_view::npos) {
        raw_path = rest.substr(0, question);
        query = rest.substr(question + 1);
    }
    if (raw_path.empty() && rest.size() != target.size()) raw_path = "/";  // "http://host" or "http://host?x"
    if (raw_path.empty() || raw_path.front() != '/') {
        return MakeError(Errc::kInvalidArgument, "request target must start with '/'");
    }
    if (auto decoded_query = PercentDecode(query); !decoded_query) {
        return MakeError(Errc::kInvalidArgument, "invalid percent-encoding in the query");
    }

    auto decoded = PercentDecode(raw_path);
    if (!decoded) return MakeError(Errc::kInvalidArgument, "invalid percent-encoding in the path");
    std::string path = std::move(*decoded);
    for (const char c : path) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte == 0) return MakeError(Errc::kInvalidArgument, "the path holds an encoded NUL byte");
        if (byte < 0x20 || byte == 0x7f) {
            return MakeError(Errc::kInvalidArgument, "the path holds an encoded control character");
        }
    }
    // Segments are checked after decoding, so "%2e%2e" and "a%2f..%2fb" are caught as well.
    std::size_t begin = 1;
    while (begin <= path.size()) {
        std::size_t end = path.find('/', begin);
        if (end == std::string::npos) end = path.size();
        if (IsDotSegment(std::string_view(path).substr(begin, end - begin))) {
            return MakeError(Errc::kInvalidArgument, "the path must not contain '.' or '..' segments");
        }
        begin = end + 1;
    }
    return ParsedTarget{std::move(path), std::string(query)};
}

}  // namespace mh::net
