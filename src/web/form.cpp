#include "web/form.hpp"

#include <charconv>

#include "core/utf8.hpp"

namespace mh::web {
namespace {

constexpr std::size_t kMaxFields = 200;

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

}  // namespace

std::optional<std::string> UrlDecode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int high = HexValue(text[i + 1]);
            const int low = HexValue(text[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::string UrlEncode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : text) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

std::optional<std::int64_t> ParseInteger(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

Result<Form> Form::Parse(std::string_view body) {
    Form form;
    std::size_t at = 0;
    while (at <= body.size() && !body.empty()) {
        auto end = body.find('&', at);
        if (end == std::string_view::npos) end = body.size();
        const auto pair = body.substr(at, end - at);
        if (!pair.empty()) {
            if (form.fields_.size() >= kMaxFields) {
                return MakeError(Errc::kInvalidArgument, "the form has more than 200 fields");
            }
            const auto eq = pair.find('=');
            auto name = UrlDecode(pair.substr(0, eq));
            auto value = UrlDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
            if (!name || !value) return MakeError(Errc::kInvalidArgument, "the form has a broken %-escape");
            if (!ValidUtf8(*name) || !ValidUtf8(*value)) {
                return MakeError(Errc::kInvalidArgument, "the form is not valid UTF-8");
            }
            form.fields_.emplace(std::move(*name), std::move(*value));
        }
        at = end + 1;
    }
    return form;
}

std::string Form::Get(std::string_view name) const {
    const auto it = fields_.find(name);
    return it == fields_.end() ? std::string() : std::string(Trim(it->second));
}

std::optional<std::string> Form::Find(std::string_view name) const {
    const auto it = fields_.find(name);
    if (it == fields_.end()) return std::nullopt;
    return std::string(Trim(it->second));
}

}  // namespace mh::web
