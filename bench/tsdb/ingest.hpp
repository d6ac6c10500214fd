// Ingest through the engine: a Workload is every producer's batches, generated before the clock starts
// (TimeOrdered); RunIngest submits them with WriteAsync from one thread per producer and times until the last
// acknowledgement. RunIngestPart is parts (a) + (c), a durable time-order ingest with one checkpoint, and
// RunSmallBatchPart the same cut into HTTP-request-sized batches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/tenant_scope.hpp"
#include "data.hpp"
#include "report.hpp"
#include "support.hpp"
#include "tsdb/engine.hpp"

namespace mh::bench {

// Each producer owns a slice of the series (its devices) and walks time in order: every series of its
// slice at t, then t + interval, ... cut into batches. Generated before the clock starts.
using Batches = std::vector<std::vector<tsdb::SeriesSample>>;

struct Workload {
    std::vector<Batches> producers;
    std::int64_t samples = 0;
};

Workload TimeOrdered(const std::vector<SeriesId>& series, std::int64_t first_ts, std::int64_t steps,
                     std::int64_t interval_ms, ValueFn value, int producers, std::size_t batch_size);

struct IngestOutcome {
    std::int64_t samples = 0;
    double seconds = 0;
    double rate() const { return static_cast<double>(samples) / seconds; }
};

// Submits every producer's batches with WriteAsync from its own thread, at most `in_flight` unacknowledged
// at a time each, and times until the last acknowledgement.
IngestOutcome RunIngest(tsdb::Engine& engine, const TenantScope& scope, Workload work, int in_flight);

// (a) + (c): ingest `steps` samples of each of `series_count` series in time order, durably; one checkpoint.
struct IngestSpec {
    std::string key;   // "1k", "100k"
    std::string what;  // for labels
    std::size_t series_count = 0;
    std::size_t per_device = 0;
    std::int64_t steps = 0;
    ValueFn value = PowerCurve;
};

void RunIngestPart(Context& ctx, const fs::path& root, const IngestSpec& spec, bool measure_bytes);

// (a, extra) The same ingest cut into HTTP-request-sized batches: 72 samples (an OpenDTU body), 64 in flight.
void RunSmallBatchPart(Context& ctx, const fs::path& root);

}  // namespace mh::bench
