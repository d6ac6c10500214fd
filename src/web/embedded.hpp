// The files of web/ compiled into the binary (templates, message catalogs, static assets and the npm
// packages' built files), so that the server needs nothing beside itself at run time. The table is generated
// at build time by cmake/embed_files.cmake; names are paths such as "templates/home.html".
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace mh::web {

struct EmbeddedFile {
    std::string_view name;
    std::string_view data;
};

const std::vector<EmbeddedFile>& EmbeddedFiles();

std::optional<std::string_view> FindEmbedded(std::string_view name);

}  // namespace mh::web
