// StorageConfig: the [storage] section, where the database lives: an embedded SQLite file, or PostgreSQL. A plain
// value; see core/config_section.hpp for how a section is described and loaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/config_section.hpp"
#include "core/result.hpp"

namespace mh::store {

struct StorageConfig {
    static constexpr std::string_view kSection = "storage";

    std::string path = "data/meterhub.db";  // SQLite file; the sample log lives beside it in <path>-log/
    // postgresql://user:password@host:port/db: run on PostgreSQL (several instances may share it); empty: SQLite.
    std::string url;
    std::int64_t max_connections = 8;  // PostgreSQL connections per instance

    void Describe(config::Section& section);
    Status Validate() const;
};

}  // namespace mh::store
