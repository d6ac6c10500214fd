#include "collect/report_samples.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

namespace mh::collect {
namespace {

std::optional<double> ParseNumber(const std::string* text) {
    if (!text) return std::nullopt;
    double value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
    return value;
}

}  // namespace

std::vector<tsdb::SeriesSample> SamplesOf(DeviceDirectory& directory, const store::Device& device,
                                          const ingest::solarman::DataReport& report, std::int64_t ts_ms,
                                          SeriesCache& cache) {
    if (cache.device != device.id) {
        cache.ids.clear();
        cache.device = device.id;
    }
    std::vector<tsdb::SeriesSample> samples;
    samples.reserve(report.samples.size());
    for (const auto& sample : report.samples) {
        if (auto it = cache.ids.find(std::string_view(sample.name)); it != cache.ids.end()) {
            samples.push_back({it->second, ts_ms, sample.value});
            continue;
        }
        const auto kind = sample.counter ? store::SeriesKind::kCounter : store::SeriesKind::kGauge;
        auto series = directory.SeriesFor(device, sample.name, sample.unit, kind);
        if (!series) {
            spdlog::warn("{} {}: no series {}: {}", device.source, device.serial, sample.name, series.error().message);
            continue;
        }
        cache.ids.emplace(sample.name, *series);
        samples.push_back({*series, ts_ms, sample.value});
    }
    return samples;
}

std::optional<std::vector<tsdb::SeriesSample>> CachedSamplesOf(const store::Device& device,
                                                               const ingest::solarman::DataReport& report,
                                                               std::int64_t ts_ms, const SeriesCache& cache) {
    if (cache.device != device.id) return std::nullopt;
    std::vector<tsdb::SeriesSample> samples;
    samples.reserve(report.samples.size());
    for (const auto& sample : report.samples) {
        const auto it = cache.ids.find(std::string_view(sample.name));
        if (it == cache.ids.end()) return std::nullopt;
        samples.push_back({it->second, ts_ms, sample.value});
    }
    return samples;
}

store::DeviceFacts FactsOf(const ingest::solarman::DataReport& report) {
    store::DeviceFacts facts;
    facts.rated_power_w = ParseNumber(report.FindAttribute("rated_power"));
    for (const char* name : {"firmware_version", "ac_firmware"}) {
        const auto* text = report.FindAttribute(name);
        if (text && !text->empty()) {
            facts.firmware = *text;
            break;
        }
    }
    return facts;
}

}  // namespace mh::collect
