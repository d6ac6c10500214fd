#include "tsdb/tsdb_config.hpp"

namespace mh::tsdb {

void TsdbConfig::Describe(config::Section& section) {
    section.Key("checkpoint_interval_s", checkpoint_interval_s, "how often samples in memory are written as chunks (s)")
        .Key("checkpoint_log_mb", checkpoint_log_mb, "...or sooner, when the log has grown by this many MiB")
        .Key("max_queue_samples", max_queue_samples, "samples waiting to be logged; beyond this writes get 503")
        .Key("chunk_samples", chunk_samples, "samples per compressed chunk")
        .Key("gap_cap_s", gap_cap_s, "a power gap longer than this (s) adds no more energy than this long")
        .Key("max_future_s", max_future_s, "samples stamped further ahead of the clock than this (s) are rejected")
        .Key("sync", sync, "fdatasync the log before acknowledging a write (off trades durability for speed)");
}

Status TsdbConfig::Validate() const {
    if (checkpoint_interval_s < 1 || checkpoint_interval_s > 86'400) {
        return config::Invalid("tsdb.checkpoint_interval_s must be between 1 and 86400");
    }
    if (checkpoint_log_mb < 1) return config::Invalid("tsdb.checkpoint_log_mb must be at least 1");
    if (max_queue_samples < 1000) return config::Invalid("tsdb.max_queue_samples must be at least 1000");
    if (chunk_samples < 16 || chunk_samples > 65'536) return config::Invalid("tsdb.chunk_samples must be 16..65536");
    if (gap_cap_s < 1) return config::Invalid("tsdb.gap_cap_s must be positive");
    if (max_future_s < 0) return config::Invalid("tsdb.max_future_s must not be negative");
    return Ok();
}

}  // namespace mh::tsdb
