#include "api/metrics.hpp"

#include <fmt/format.h>

namespace mh::api {

void AppendMetric(std::string& out, std::string_view name, std::string_view help, MetricType type, std::int64_t value) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help,
                       type == MetricType::kCounter ? "counter" : "gauge", value);
}

void RequestMetrics::Observe(const std::string& route, int status, double seconds) {
    std::lock_guard lock(mutex_);
    ++requests_[{route, status}];
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        if (seconds <= kBuckets[i]) ++bucket_counts_[i];
    }
    ++count_;
    sum_ += seconds;
}

void RequestMetrics::Render(std::string& out) const {
    std::lock_guard lock(mutex_);
    out +=
        "# HELP meterhub_http_requests_total HTTP requests answered, by route and status.\n"
        "# TYPE meterhub_http_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
        out += fmt::format("meterhub_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", key.first, key.second, n);
    }
    out +=
        "# HELP meterhub_http_request_duration_seconds Time from request to response, handler side.\n"
        "# TYPE meterhub_http_request_duration_seconds histogram\n";
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        out += fmt::format("meterhub_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n", kBuckets[i],
                           bucket_counts_[i]);
    }
    out += fmt::format("meterhub_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", count_);
    out += fmt::format("meterhub_http_request_duration_seconds_sum {}\n", sum_);
    out += fmt::format("meterhub_http_request_duration_seconds_count {}\n", count_);
}

}  // namespace mh::api
