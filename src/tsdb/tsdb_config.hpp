// TsdbConfig: the [tsdb] section, the write path's limits and checkpoints (cli maps it onto tsdb::EngineOptions).
// A plain value; see core/config_section.hpp for how a section is described and loaded.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/config_section.hpp"
#include "core/result.hpp"

namespace mh::tsdb {

struct TsdbConfig {
    static constexpr std::string_view kSection = "tsdb";

    std::int64_t checkpoint_interval_s = 300;    // how often the in-memory head is written as chunks
    std::int64_t checkpoint_log_mb = 256;        // ...or when the log has grown this much
    std::int64_t max_queue_samples = 2'000'000;  // samples waiting for the log; more is refused (overload)
    std::int64_t chunk_samples = 240;            // target samples per compressed chunk
    std::int64_t gap_cap_s = 600;                // a power gap longer than this adds no energy
    std::int64_t max_future_s = 86'400;          // timestamps further ahead of now are rejected
    bool sync = true;                            // fdatasync the log before acknowledging (keep on!)

    void Describe(config::Section& section);
    Status Validate() const;
};

}  // namespace mh::tsdb
