#include "web/format.hpp"

#include <fmt/format.h>

#include <cmath>

namespace mh::web {
namespace {

std::string Fill(std::string_view pattern, const std::string& n) {
    std::string text(pattern);
    const auto at = text.find("{n}");
    if (at != std::string::npos) text.replace(at, 3, n);
    return text;
}

}  // namespace

std::string FormatNumber(double value, int decimals, const Catalog& texts) {
    if (std::abs(value) < 0.5 * std::pow(10.0, -decimals)) value = 0;  // no "-0"
    std::string text = fmt::format("{:.{}f}", value, decimals);
    const auto separator = texts.Text("decimal_separator");
    if (separator != ".") {
        if (const auto dot = text.find('.'); dot != std::string::npos) text.replace(dot, 1, separator);
    }
    return text;
}

std::string FormatPower(double watts, const Catalog& texts) {
    if (std::abs(watts) < 1000) return FormatNumber(watts, 0, texts) + " W";
    if (std::abs(watts) < 1e6) return FormatNumber(watts / 1e3, 2, texts) + " kW";
    return FormatNumber(watts / 1e6, 2, texts) + " MW";
}

std::string FormatEnergy(double kwh, const Catalog& texts) {
    if (std::abs(kwh) >= 10000) return FormatNumber(kwh / 1000, 2, texts) + " MWh";
    return FormatNumber(kwh, std::abs(kwh) < 100 ? 2 : 1, texts) + " kWh";
}

std::string FormatAge(std::int64_t seconds, const Catalog& texts) {
    if (seconds < 0) seconds = 0;
    if (seconds < 120) return Fill(texts.Text("age_seconds"), std::to_string(seconds));
    if (seconds < 7200) return Fill(texts.Text("age_minutes"), std::to_string(seconds / 60));
    if (seconds < 172800) return Fill(texts.Text("age_hours"), std::to_string(seconds / 3600));
    return Fill(texts.Text("age_days"), std::to_string(seconds / 86400));
}

std::string FormatClock(std::int64_t ts_ms, const TimeZone& zone) {
    return zone.Format(FromMillis(ts_ms), "%H:%M");
}

}  // namespace mh::web
