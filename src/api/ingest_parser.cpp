#include "api/ingest_parser.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

namespace mh::api {
namespace json = boost::json;
namespace {

Error Bad(std::size_t index, std::string_view field, std::string_view problem) {
    return MakeError(Errc::kInvalidArgument,
                     "samples[" + std::to_string(index) + "]." + std::string(field) + ": " + std::string(problem));
}

// An id given as a JSON string of digits (safe for JavaScript clients) or an integer.
Result<std::int64_t> IdField(const json::value& v, std::size_t index, std::string_view field) {
    std::int64_t id = 0;
    if (v.is_int64()) {
        id = v.get_int64();
    } else if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        id = static_cast<std::int64_t>(v.get_uint64());
    } else if (v.is_string()) {
        const auto& s = v.get_string();
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
        if (ec != std::errc{} || end != s.data() + s.size()) return Bad(index, field, "must be an id");
    } else {
        return Bad(index, field, "must be an id (a string of digits)");
    }
    if (id <= 0) return Bad(index, field, "must be a positive id");
    return id;
}

Result<std::int64_t> TimestampField(const json::value& v, std::size_t index) {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64()) return Bad(index, "ts", "is out of range");
    if (v.is_double()) {
        const double d = v.get_double();
        if (!std::isfinite(d) || std::abs(d) > 9.0e15) return Bad(index, "ts", "is out of range");
        return static_cast<std::int64_t>(std::llround(d));
    }
    if (v.is_string()) {
        auto ts = ParseRfc3339(v.get_string());
        if (!ts) return Bad(index, "ts", ts.error().message);
        return *ts;
    }
    return Bad(index, "ts", "must be Unix milliseconds or an RFC 3339 string");
}

Result<IngestSample> SampleFrom(const json::value& v, std::size_t index, const IngestLimits& limits) {
    const auto* obj = v.if_object();
    if (obj == nullptr) return MakeError(Errc::kInvalidArgument, "samples[" + std::to_string(index) + "]: must be an object");
    IngestSample sample;
    for (const auto& [key, value] : *obj) {
        if (key == "series") {
            MH_ASSIGN_OR_RETURN(sample.series, IdField(value, index, "series"));
        } else if (key == "device") {
            MH_ASSIGN_OR_RETURN(sample.device, IdField(value, index, "device"));
        } else if (key == "metric") {
            if (!value.is_string()) return Bad(index, "metric", "must be a string");
            if (value.get_string().size() > limits.max_metric_length) return Bad(index, "metric", "is too long");
            sample.metric = std::string(value.get_string());
        } else if (key == "ts") {
            MH_ASSIGN_OR_RETURN(sample.ts_ms, TimestampField(value, index));
        } else if (key == "value") {
            if (!value.is_number()) return Bad(index, "value", "must be a number");
            sample.value = value.to_number<double>();
        } else {
            return Bad(index, std::string(key), "is not a known field (series, device, metric, ts, value)");
        }
    }
    if (!obj->contains("ts")) return Bad(index, "ts", "is missing");
    if (!obj->contains("value")) return Bad(index, "value", "is missing");
    const bool by_series = sample.series != 0;
    const bool by_device = sample.device != 0 || !sample.metric.empty();
    if (by_series == by_device) return Bad(index, "series", "give either series, or device and metric");
    if (by_device && (sample.device == 0 || sample.metric.empty())) {
        return Bad(index, sample.device == 0 ? "device" : "metric", "is missing");
    }
    return sample;
}

}  // namespace

Result<std::vector<IngestSample>> ParseSamplesJson(std::string_view body, const IngestLimits& limits) {
    json::parse_options options;
    options.max_depth = 8;
    boost::system::error_code ec;
    json::monotonic_resource memory;
    const json::value root = json::parse(body, ec, &memory, options);
    if (ec) return MakeError(Errc::kInvalidArgument, "the body is not valid JSON: " + ec.message());
    const json::array* samples = root.if_array();
    if (samples == nullptr) {
        const auto* obj = root.if_object();
        const json::value* field = obj != nullptr ? obj->if_contains("samples") : nullptr;
        samples = field != nullptr ? field->if_array() : nullptr;
    }
    if (samples == nullptr) {
        return MakeError(Errc::kInvalidArgument, "expected {\"samples\": [...]} or an array of samples");
    }
    if (samples->size() > limits.max_samples) {
        return MakeError(Errc::kInvalidArgument, "too many samples in one request (" + std::to_string(samples->size()) +
                                                     ", at most " + std::to_string(limits.max_samples) + ")");
    }
    std::vector<IngestSample> out;
    out.reserve(samples->size());
    for (std::size_t i = 0; i < samples->size(); ++i) {
        MH_ASSIGN_OR_RETURN(auto sample, SampleFrom((*samples)[i], i, limits));
        out.push_back(std::move(sample));
    }
    return out;
}

Result<std::vector<IngestSample>> ParseSamplesLines(std::string_view body, const IngestLimits& limits) {
    std::vector<IngestSample> out;
    std::size_t line_number = 0;
    std::size_t at = 0;
    while (at < body.size()) {
        std::size_t end = body.find('\n', at);
        if (end == std::string_view::npos) end = body.size();
        std::string_view line = body.substr(at, end - at);
        at = end + 1;
        ++line_number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos || line[first] == '#') continue;
        auto bad = [&](std::string_view what) {
            return MakeError(Errc::kInvalidArgument, "line " + std::to_string(line_number) + ": " + std::string(what) +
                                                         " (expected \"<series-id> <unix-ms> <value>\")");
        };
        std::string_view fields[3];
        std::size_t count = 0;
        std::size_t p = first;
        while (p < line.size() && count < 4) {
            const auto start = line.find_first_not_of(" \t", p);
            if (start == std::string_view::npos) break;
            auto stop = line.find_first_of(" \t", start);
            if (stop == std::string_view::npos) stop = line.size();
            if (count == 3) return bad("too many fields");
            fields[count++] = line.substr(start, stop - start);
            p = stop;
        }
        if (count != 3) return bad("too few fields");
        IngestSample sample;
        auto [e1, c1] = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), sample.series);
        if (c1 != std::errc{} || e1 != fields[0].data() + fields[0].size() || sample.series <= 0) {
            return bad("the series id is not a positive integer");
        }
        auto [e2, c2] = std::from_chars(fields[1].data(), fields[1].data() + fields[1].size(), sample.ts_ms);
        if (c2 != std::errc{} || e2 != fields[1].data() + fields[1].size()) {
            return bad("the timestamp is not an integer of milliseconds");
        }
        auto [e3, c3] = std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), sample.value);
        if (c3 != std::errc{} || e3 != fields[2].data() + fields[2].size()) return bad("the value is not a number");
        if (out.size() == limits.max_samples) {
            return MakeError(Errc::kInvalidArgument,
                             "too many samples in one request (at most " + std::to_string(limits.max_samples) + ")");
        }
        out.push_back(sample);
    }
    return out;
}

}  // namespace mh::api
