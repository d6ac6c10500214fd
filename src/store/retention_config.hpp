// RetentionConfig: the [retention] section, how long stored raw samples are kept (each tenant's own
// raw_retention_days starts at default_raw_days) and how often serve purges. A plain value; see
// core/config_section.hpp for how a section is described and loaded.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/config_section.hpp"
#include "core/result.hpp"

namespace mh::store {

struct RetentionConfig {
    static constexpr std::string_view kSection = "retention";

    std::int64_t default_raw_days = 730;   // raw samples kept for new tenants; rollups are kept forever
    std::int64_t purge_interval_s = 3600;  // how often serve applies retention

    void Describe(config::Section& section);
    Status Validate() const;
};

}  // namespace mh::store
