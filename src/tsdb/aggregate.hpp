// Aggregate: what a rollup bucket knows about the samples (and intervals) that fell into it.
//
// Aggregates merge (count/min/max/sum add up, first/last go by timestamp, increase and integral add up), so
// the engine keeps only the change since the last checkpoint in memory and merges it into the stored row.
#pragma once

#include <cstdint>
#include <limits>

#include "store/chunk_store.hpp"

namespace mh::tsdb {

// The stored rollup resolutions, in seconds: local hours and local days in the tenant's zone. Finer views are
// computed from the raw samples, which decode faster than rollup rows read (docs/design.md, "Rollups"), and a
// 5-minute level would cost more disk than the compressed samples themselves.
inline constexpr std::int32_t kHour = 3600;
inline constexpr std::int32_t kDay = 86400;
inline constexpr std::int32_t kResolutions[] = {kHour, kDay};
inline constexpr int kResolutionCount = 2;

struct Aggregate {
    std::int64_t count = 0;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    double sum = 0;
    std::int64_t first_ts = std::numeric_limits<std::int64_t>::max();
    double first = 0;
    std::int64_t last_ts = std::numeric_limits<std::int64_t>::min();
    double last = 0;
    double increase = 0;  // counter rise over the intervals ending in the bucket
    double integral = 0;  // value-hours over the intervals ending in the bucket

    bool empty() const { return count == 0 && increase == 0 && integral == 0; }

    void AddSample(std::int64_t ts_ms, double value) {
        ++count;
        if (value < min) min = value;
        if (value > max) max = value;
        sum += value;
        if (ts_ms < first_ts) {
            first_ts = ts_ms;
            first = value;
        }
        if (ts_ms > last_ts) {
            last_ts = ts_ms;
            last = value;
        }
    }

    void Merge(const Aggregate& other) {
        if (other.count > 0) {
            count += other.count;
            if (other.min < min) min = other.min;
            if (other.max > max) max = other.max;
            sum += other.sum;
            if (other.first_ts < first_ts) {
                first_ts = other.first_ts;
                first = other.first;
            }
            if (other.last_ts > last_ts) {
                last_ts = other.last_ts;
                last = other.last;
            }
        }
        increase += other.increase;
        integral += other.integral;
    }

    double avg() const { return count > 0 ? sum / static_cast<double>(count) : 0.0; }
};

Aggregate FromRow(const store::RollupRow& row);
store::RollupRow ToRow(const Aggregate& a, SeriesId series, TenantId tenant, std::int32_t resolution_s,
                       std::int64_t bucket_ms);

}  // namespace mh::tsdb
