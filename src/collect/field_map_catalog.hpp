// FieldMapCatalog: the field and register maps a collector can use: the built-in ones plus the map files of a
// directory (solarman.maps_dir), so that a new inverter model needs a file, not code. A file map with the name
// of a built-in one replaces it. Immutable after Load; safe to share between threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "ingest/solarman/field_map.hpp"

namespace mh::collect {

class FieldMapCatalog {
  public:
    // Built-in maps, then every *.toml file in `directory` (none when empty). A bad file fails the load, naming
    // the file and the field: better to refuse to start than to decode garbage.
    static Result<FieldMapCatalog> Load(const std::string& directory);

    const ingest::solarman::FieldMap* Find(std::string_view name) const noexcept;
    // The push map for a data frame's sensor type: file maps first, then built-in ones.
    const ingest::solarman::FieldMap* PushMapFor(std::uint16_t sensor_type) const noexcept;
    std::vector<std::string> Names() const;

  private:
    std::vector<std::shared_ptr<const ingest::solarman::FieldMap>> maps_;  // file maps first
};

}  // namespace mh::collect
