// Request metrics for /metrics: counts by route and status, and one latency histogram, in Prometheus text.
// Thread-safe; Observe() takes one short lock.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace mh::api {

enum class MetricType { kCounter, kGauge };

// Appends one unlabelled metric with its HELP and TYPE lines in Prometheus text exposition format.
void AppendMetric(std::string& out, std::string_view name, std::string_view help, MetricType type, std::int64_t value);

class RequestMetrics {
  public:
    void Observe(const std::string& route, int status, double seconds);
    // Appends the metrics in Prometheus text exposition format.
    void Render(std::string& out) const;

  private:
    static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                        0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, int>, std::uint64_t> requests_;
    std::array<std::uint64_t, kBuckets.size()> bucket_counts_{};
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

}  // namespace mh::api
