#include "tsdb/series_state.hpp"

#include <algorithm>

namespace mh::tsdb {
namespace {

constexpr double kMillisPerHour = 3'600'000.0;

// What the interval (prev, sample] adds: the counter's rise and the capped trapezoid area in value-hours.
struct IntervalGain {
    double increase = 0;
    double integral = 0;
};

IntervalGain Interval(const std::optional<Sample>& prev, const Sample& sample, store::SeriesKind kind,
                      CounterTracker& counter, const RollupRules& rules) {
    IntervalGain gain;
    if (kind == store::SeriesKind::kCounter) gain.increase = counter.Next(sample.value);
    if (prev) {
        const std::int64_t dt = std::min(sample.ts_ms - prev->ts_ms, rules.gap_cap_ms);
        gain.integral = (prev->value + sample.value) * 0.5 * (static_cast<double>(dt) / kMillisPerHour);
    }
    return gain;
}

void AddToBuckets(BucketDeltas& deltas, LocalBucketer& bucketer, const Sample& sample, const IntervalGain& gain) {
    for (int r = 0; r < kResolutionCount; ++r) {
        Aggregate& agg = deltas[r][BucketStart(bucketer, r, sample.ts_ms)];
        agg.AddSample(sample.ts_ms, sample.value);
        agg.increase += gain.increase;
        agg.integral += gain.integral;
    }
}

}  // namespace

std::int64_t BucketStart(LocalBucketer& bucketer, int r, std::int64_t ts_ms) {
    return r == 0 ? bucketer.HourStartMs(ts_ms) : bucketer.DayStartMs(ts_ms);
}

void ApplySample(SeriesState& state, const Sample& sample, const RollupRules& rules) {
    if (!state.prev || sample.ts_ms > state.prev->ts_ms) {
        const IntervalGain gain = Interval(state.prev, sample, state.info.kind, state.counter, rules);
        state.head.push_back(sample);
        AddToBuckets(state.deltas, state.bucketer, sample, gain);
        state.prev = sample;
        return;
    }
    // Late or repeated: keep it in the head in order (replacing a sample with the same timestamp).
    auto it = std::lower_bound(state.head.begin(), state.head.end(), sample.ts_ms,
                               [](const Sample& s, std::int64_t ts) { return s.ts_ms < ts; });
    if (it != state.head.end() && it->ts_ms == sample.ts_ms) {
        if (it->value == sample.value) return;  // a retried push: nothing changes
        it->value = sample.value;
    } else {
        state.head.insert(it, sample);
    }
    if (state.prev->ts_ms == sample.ts_ms) state.prev->value = sample.value;
    state.dirty_from = std::min(state.dirty_from, sample.ts_ms);
}

void FoldSamples(std::span<const Sample> samples, LocalBucketer& bucketer, CounterTracker& counter,
                 std::optional<Sample>& prev, store::SeriesKind kind, const RollupRules& rules, BucketDeltas& out) {
    for (const Sample& sample : samples) {
        const IntervalGain gain = Interval(prev, sample, kind, counter, rules);
        AddToBuckets(out, bucketer, sample, gain);
        prev = sample;
    }
}

std::vector<Sample> MergeSamples(std::span<const Sample> older, std::span<const Sample> newer) {
    std::vector<Sample> out;
    out.reserve(older.size() + newer.size());
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < older.size() || j < newer.size()) {
        if (j == newer.size() || (i < older.size() && older[i].ts_ms < newer[j].ts_ms)) {
            out.push_back(older[i++]);
        } else {
            if (i < older.size() && older[i].ts_ms == newer[j].ts_ms) ++i;
            out.push_back(newer[j++]);
        }
    }
    return out;
}

}  // namespace mh::tsdb
