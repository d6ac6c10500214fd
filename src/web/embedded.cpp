#include "web/embedded.hpp"

namespace mh::web {

std::optional<std::string_view> FindEmbedded(std::string_view name) {
    for (const auto& file : EmbeddedFiles()) {
        if (file.name == name) return file.data;
    }
    return std::nullopt;
}

}  // namespace mh::web
