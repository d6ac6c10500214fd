#include "store/sqlite/open.hpp"

#include <filesystem>

#include "store/sqlite/pool.hpp"
#include "store/sqlite/schema.hpp"

namespace mh::store::sqlite {

Result<std::unique_ptr<sql::SqlDatabase>> Open(const std::string& path, const Clock& clock, IdGenerator& ids,
                                               OpenOptions options) {
    std::error_code ec;
    const auto parent = std::filesystem::path(path).parent_path();
    if (options.read_only) {
        if (!std::filesystem::exists(path, ec)) {
            return MakeError(Errc::kNotFound, "no database at " + path + " (run `meterhub db migrate` or serve)");
        }
    } else if (!parent.empty()) {
        std::filesystem::create_directories(parent, ec);
        if (ec) return MakeError(Errc::kUnavailable, "cannot create " + parent.string() + ": " + ec.message());
    }
    MH_ASSIGN_OR_RETURN(auto pool, SqlitePool::Open(path, options.read_only));
    auto database = std::make_unique<sql::SqlDatabase>(std::move(pool), Migrations(), clock, ids, options.read_only);
    MH_ASSIGN_OR_RETURN(int version, database->SchemaVersion());
    if (options.migrate && !options.read_only) {
        MH_RETURN_IF_ERROR(database->Migrate());
    } else if (version != LatestSchemaVersion()) {
        return MakeError(Errc::kFailedPrecondition, "database " + path + " is at schema version " +
                                                        std::to_string(version) + ", this meterhub needs " +
                                                        std::to_string(LatestSchemaVersion()) +
                                                        " (run `meterhub db migrate`)");
    }
    return database;
}

}  // namespace mh::store::sqlite
