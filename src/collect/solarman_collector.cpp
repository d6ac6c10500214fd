// SolarmanCollector: the service object (its work on the worker pool, stats, logger clock errors). Connections and frame
// handling are in solarman_connection.cpp.
#include "collect/solarman_collector.hpp"

namespace mh::collect {

SolarmanCollector::SolarmanCollector(store::Repositories store, tsdb::Engine& engine, const Clock& clock,
                                     const FieldMapCatalog& maps, Executor& workers, SolarmanOptions options)
    : store_(store),
      engine_(engine),
      clock_(clock),
      maps_(maps),
      options_(std::move(options)),
      directory_(store, clock, options_.directory),
      work_(workers) {}

SolarmanCollector::~SolarmanCollector() {
    work_.Wait();  // frames in flight are stored; their acknowledgements find no connection
    directory_.Flush();
}

SolarmanStats SolarmanCollector::stats() const {
    const Counters& c = counters_;
    return SolarmanStats{c.connections.load(),   c.frames.load(),      c.replies.load(),
                         c.data_frames.load(),   c.samples.load(),     c.unclaimed_frames.load(),
                         c.bad_frames.load(),    c.undecodable.load(), c.dropped_historic.load(),
                         c.write_failures.load()};
}

void SolarmanCollector::NoteClockError(std::uint32_t serial, std::int64_t error_ms) {
    std::lock_guard lock(clock_errors_mutex_);
    clock_errors_[serial] = error_ms;
}

std::optional<std::int64_t> SolarmanCollector::ClockError(std::uint32_t serial) {
    std::lock_guard lock(clock_errors_mutex_);
    auto it = clock_errors_.find(serial);
    if (it == clock_errors_.end()) return std::nullopt;
    return it->second;
}

}  // namespace mh::collect
