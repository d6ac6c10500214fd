#include "core/time_parse.hpp"

#include <charconv>
#include <sstream>

namespace mh {

Result<Timestamp> ParseTimeArg(std::string_view text, const TimeZone& zone, Timestamp now) {
    if (text == "now") return now;
    if (!text.empty() && text.size() <= 16 && text.find_first_not_of("0123456789") == std::string_view::npos) {
        std::int64_t ms = 0;
        std::from_chars(text.data(), text.data() + text.size(), ms);
        return FromMillis(ms);
    }
    if (text.size() >= 3 && text.front() == '-') {
        std::int64_t amount = 0;
        const char* end = text.data() + text.size() - 1;
        auto [ptr, ec] = std::from_chars(text.data() + 1, end, amount);
        if (ec == std::errc{} && ptr == end) {
            switch (text.back()) {
                case 'm': return now - std::chrono::minutes(amount);
                case 'h': return now - std::chrono::hours(amount);
                case 'd': return now - date::days(amount);
                default: break;
            }
        }
    }
    std::string value(text);
    for (char& ch : value) {
        if (ch == 'T') ch = ' ';
    }
    const bool utc = !value.empty() && value.back() == 'Z';
    if (utc) value.pop_back();
    for (const char* format : {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"}) {
        std::istringstream in(value);
        date::local_seconds local;
        in >> date::parse(format, local);
        if (!in.fail() && in.peek() == std::char_traits<char>::eof()) {
            if (utc) return Timestamp{local.time_since_epoch()};
            // Local wall time: the start of the local day when only a date was given.
            const auto day = std::chrono::floor<date::days>(local);
            const Timestamp day_start = zone.StartOf(day);
            return day_start + (local - date::local_seconds{day});
        }
    }
    return MakeError(Errc::kInvalidArgument, "cannot read time '" + std::string(text) +
                                                 "' (use now, -24h, -7d, 2026-03-29, 2026-03-29T14:00 or ...Z)");
}

}  // namespace mh
