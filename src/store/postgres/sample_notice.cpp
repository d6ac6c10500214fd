#include "store/postgres/sample_notice.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <map>

namespace mh::store::postgres {
namespace {

constexpr std::string_view kMagic = "mh1";
constexpr std::size_t kMaxRows = 10'000;

Error Bad(std::string_view why) {
    return MakeError(Errc::kInvalidArgument, "sample notice: " + std::string(why));
}

// Splits off the text up to `separator` (or all of it).
std::string_view Take(std::string_view& text, char separator) {
    const auto at = text.find(separator);
    std::string_view part = text.substr(0, at);
    text = at == std::string_view::npos ? std::string_view() : text.substr(at + 1);
    return part;
}

template <class T>
bool ParseNumber(std::string_view text, T& out) {
    if (text.empty()) return false;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc() && end == text.data() + text.size();
}

std::string Header(std::string_view origin, TenantId tenant) {
    return fmt::format("{} {} {}\n", kMagic, origin, tenant.value());
}

}  // namespace

std::vector<std::string> EncodeSampleNotices(std::string_view origin, std::span<const JournalRow> rows,
                                             std::size_t max_bytes) {
    // The newest sample of each series, per tenant.
    std::map<std::int64_t, std::map<std::int64_t, const JournalRow*>> newest;
    for (const JournalRow& row : rows) {
        const JournalRow*& kept = newest[row.tenant.value()][row.series.value()];
        if (kept == nullptr || row.ts_ms >= kept->ts_ms) kept = &row;
    }
    std::vector<std::string> notices;
    for (const auto& [tenant, series] : newest) {
        const std::string header = Header(origin, TenantId(tenant));
        std::string notice = header;
        for (const auto& [id, row] : series) {
            const std::string line = fmt::format("{} {} {}\n", id, row->ts_ms, row->value);
            if (notice.size() + line.size() > max_bytes && notice.size() > header.size()) {
                notices.push_back(std::move(notice));
                notice = header;
            }
            notice += line;
        }
        notices.push_back(std::move(notice));
    }
    return notices;
}

Result<SampleNotice> DecodeSampleNotice(std::string_view payload) {
    if (payload.size() > 8000) return Bad("longer than a notification can be");
    std::string_view header = Take(payload, '\n');
    if (Take(header, ' ') != kMagic) return Bad("not a sample notice");
    SampleNotice notice;
    notice.origin = std::string(Take(header, ' '));
    if (notice.origin.empty()) return Bad("no origin");
    std::int64_t tenant = 0;
    if (!ParseNumber(header, tenant) || tenant <= 0) return Bad("bad tenant id");
    notice.tenant = TenantId(tenant);
    while (!payload.empty()) {
        std::string_view line = Take(payload, '\n');
        std::int64_t series = 0, ts = 0;
        double value = 0;
        if (!ParseNumber(Take(line, ' '), series) || series <= 0) return Bad("bad series id");
        if (!ParseNumber(Take(line, ' '), ts)) return Bad("bad timestamp");
        if (!ParseNumber(line, value) || !std::isfinite(value)) return Bad("bad value");
        if (notice.rows.size() == kMaxRows) return Bad("too many rows");
        notice.rows.push_back({SeriesId(series), notice.tenant, ts, value});
    }
    return notice;
}

}  // namespace mh::store::postgres
