#include "store/storage_config.hpp"

namespace mh::store {

void StorageConfig::Describe(config::Section& section) {
    section.Key("path", path, "SQLite database file; the sample log lives beside it in <path>-log/");
    section.Key("url", url, "PostgreSQL instead of SQLite: postgresql://user:password@host:port/db; empty: SQLite");
    section.Key("max_connections", max_connections, "PostgreSQL connections each instance keeps at most");
}

Status StorageConfig::Validate() const {
    if (path.empty()) return config::Invalid("storage.path must not be empty");
    if (!url.empty() && !url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
        return config::Invalid(
            "storage.url must be a postgresql:// URL (or empty for the SQLite file at storage.path)");
    }
    if (max_connections < 2 || max_connections > 1000) {
        return config::Invalid("storage.max_connections must be between 2 and 1000");
    }
    return Ok();
}

}  // namespace mh::store
