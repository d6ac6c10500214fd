#include "store/retention_config.hpp"

namespace mh::store {

void RetentionConfig::Describe(config::Section& section) {
    section
        .Key("default_raw_days", default_raw_days, "raw samples kept for new tenants (days); rollups are kept forever")
        .Key("purge_interval_s", purge_interval_s, "how often serve deletes samples older than each tenant keeps (s)");
}

Status RetentionConfig::Validate() const {
    if (default_raw_days < 1) return config::Invalid("retention.default_raw_days must be at least 1");
    if (purge_interval_s < 60) return config::Invalid("retention.purge_interval_s must be at least 60");
    return Ok();
}

}  // namespace mh::store
