#include "core/time_parse.hpp"

#include <date/date.h>

#include <algorithm>
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

// Hand-written rather than date::parse: strict about the shape, and no arithmetic on unchecked values.
Result<std::int64_t> ParseRfc3339(std::string_view text) {
    const Error bad = MakeError(Errc::kInvalidArgument, "is not an RFC 3339 time (e.g. 2026-01-01T12:00:00Z)");
    std::size_t at = 0;
    auto digits = [&](std::size_t n, int& out) {
        if (at + n > text.size()) return false;
        out = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const char c = text[at + i];
            if (c < '0' || c > '9') return false;
            out = out * 10 + (c - '0');
        }
        at += n;
        return true;
    };
    auto expect = [&](std::string_view chars) {
        if (at < text.size() && chars.find(text[at]) != std::string_view::npos) {
            ++at;
            return true;
        }
        return false;
    };
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(4, year) || !expect("-") || !digits(2, month) || !expect("-") || !digits(2, day) || !expect("Tt ") ||
        !digits(2, hour) || !expect(":") || !digits(2, minute) || !expect(":") || !digits(2, second)) {
        return bad;
    }
    std::int64_t millis = 0;
    if (expect(".")) {
        int scale = 100;
        std::size_t count = 0;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
            if (count++ < 3) millis += (text[at] - '0') * scale;
            scale /= 10;
            ++at;
        }
        if (count == 0 || count > 9) return bad;
    }
    int offset_minutes = 0;
    if (expect("Zz")) {
    } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
        const int sign = text[at++] == '-' ? -1 : 1;
        int oh = 0, om = 0;
        if (!digits(2, oh) || !expect(":") || !digits(2, om) || oh > 23 || om > 59) return bad;
        offset_minutes = sign * (oh * 60 + om);
    } else {
        return bad;
    }
    if (at != text.size()) return bad;
    const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                   date::day{static_cast<unsigned>(day)}};
    if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return bad;
    const std::int64_t days = date::sys_days{ymd}.time_since_epoch().count();
    const std::int64_t seconds = days * 86'400 + hour * 3600 + minute * 60 + std::min(second, 59) -
                                 static_cast<std::int64_t>(offset_minutes) * 60;
    return seconds * 1000 + millis;
}

}  // namespace mh
