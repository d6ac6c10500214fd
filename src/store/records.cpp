#include "store/records.hpp"

namespace mh::store {

const char* SeriesKindName(SeriesKind kind) noexcept {
    return kind == SeriesKind::kCounter ? "counter" : "gauge";
}

std::optional<SeriesKind> ParseSeriesKind(std::string_view text) noexcept {
    if (text == "gauge") return SeriesKind::kGauge;
    if (text == "counter") return SeriesKind::kCounter;
    return std::nullopt;
}

}  // namespace mh::store
