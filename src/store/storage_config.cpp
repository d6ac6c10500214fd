#include "store/storage_config.hpp"

namespace mh::store {

void StorageConfig::Describe(config::Section& section) {
    section.Key("path", path, "SQLite database file; the sample log lives beside it in <path>-log/");
}

Status StorageConfig::Validate() const {
    if (path.empty()) return config::Invalid("storage.path must not be empty");
    return Ok();
}

}  // namespace mh::store
