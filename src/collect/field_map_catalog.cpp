#include "collect/field_map_catalog.hpp"

#include <algorithm>
#include <filesystem>

#include "ingest/solarman/field_map_file.hpp"

namespace mh::collect {

namespace solarman = ingest::solarman;

Result<FieldMapCatalog> FieldMapCatalog::Load(const std::string& directory) {
    FieldMapCatalog catalog;
    if (!directory.empty()) {
        std::error_code ec;
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
            if (entry.path().extension() == ".toml") files.push_back(entry.path());
        }
        if (ec)
            return MakeError(Errc::kInvalidArgument,
                             "cannot read the map directory " + directory + ": " + ec.message());
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            MH_ASSIGN_OR_RETURN(auto map, solarman::LoadFieldMapFile(file.string()));
            catalog.maps_.push_back(std::make_shared<const solarman::FieldMap>(std::move(map)));
        }
    }
    for (const auto name : solarman::BuiltinFieldMapNames()) {
        if (catalog.Find(name)) continue;  // replaced by a file
        MH_ASSIGN_OR_RETURN(auto map, solarman::BuiltinFieldMap(name));
        catalog.maps_.push_back(std::make_shared<const solarman::FieldMap>(std::move(map)));
    }
    return catalog;
}

const solarman::FieldMap* FieldMapCatalog::Find(std::string_view name) const noexcept {
    for (const auto& map : maps_) {
        if (map->name == name) return map.get();
    }
    return nullptr;
}

const solarman::FieldMap* FieldMapCatalog::PushMapFor(std::uint16_t sensor_type) const noexcept {
    for (const auto& map : maps_) {
        if (map->layout == solarman::MapLayout::kPushPayload && map->MatchesSensorType(sensor_type)) return map.get();
    }
    return nullptr;
}

std::vector<std::string> FieldMapCatalog::Names() const {
    std::vector<std::string> names;
    for (const auto& map : maps_) names.push_back(map->name);
    return names;
}

}  // namespace mh::collect
