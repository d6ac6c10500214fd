// Parsers for sample ingest bodies: JSON and the compact line format (docs/api.md, "Ingest").
//
// Pure functions from text to samples or an error that names the offending sample and field. They do not
// know about tenants or series existence; the handler resolves and the engine validates ranges.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time_parse.hpp"  // ParseRfc3339

namespace mh::api {

struct IngestSample {
    std::int64_t series = 0;  // 0 when given as device + metric
    std::int64_t device = 0;
    std::string metric;
    std::int64_t ts_ms = 0;
    double value = 0;
};

struct IngestLimits {
    std::size_t max_samples = 100'000;
    std::size_t max_metric_length = 128;
};

// {"samples": [{"series": "123", "ts": 1767225600000 | "2026-01-01T00:00:00Z", "value": 1.5}, ...]} or a bare
// array; a sample may name {"device": "7", "metric": "power_ac"} instead of "series".
Result<std::vector<IngestSample>> ParseSamplesJson(std::string_view body, const IngestLimits& limits);

// One sample a line: "<series-id> <unix-ms> <value>"; blank lines and lines starting with '#' are skipped.
Result<std::vector<IngestSample>> ParseSamplesLines(std::string_view body, const IngestLimits& limits);

}  // namespace mh::api
