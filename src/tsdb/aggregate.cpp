#include "tsdb/aggregate.hpp"

namespace mh::tsdb {

Aggregate FromRow(const store::RollupRow& row) {
    Aggregate a;
    a.count = row.count;
    if (row.count > 0) {
        a.min = row.min;
        a.max = row.max;
        a.sum = row.sum;
        a.first_ts = row.first_ts;
        a.first = row.first;
        a.last_ts = row.last_ts;
        a.last = row.last;
    }
    a.increase = row.increase;
    a.integral = row.integral;
    return a;
}

store::RollupRow ToRow(const Aggregate& a, SeriesId series, TenantId tenant, std::int32_t resolution_s,
                       std::int64_t bucket_ms) {
    store::RollupRow row;
    row.series = series;
    row.tenant = tenant;
    row.resolution_s = resolution_s;
    row.bucket_ms = bucket_ms;
    row.count = a.count;
    // An interval-only bucket (no sample of its own) stores neutral values; count 0 marks them as such.
    row.min = a.count > 0 ? a.min : 0;
    row.max = a.count > 0 ? a.max : 0;
    row.sum = a.sum;
    row.first_ts = a.count > 0 ? a.first_ts : bucket_ms;
    row.first = a.first;
    row.last_ts = a.count > 0 ? a.last_ts : bucket_ms;
    row.last = a.last;
    row.increase = a.increase;
    row.integral = a.integral;
    return row;
}

}  // namespace mh::tsdb
