#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include "cli/command.hpp"
#include "core/logging.hpp"

namespace mh::cli {

int Fail(const Error& error) {
    std::cerr << "error: " << error.message << "\n";
    switch (error.code) {
        case Errc::kInvalidArgument: return 2;
        case Errc::kNotFound: return 3;
        case Errc::kAlreadyExists: return 4;
        case Errc::kFailedPrecondition:
        case Errc::kUnavailable: return 5;
        default: return 1;
    }
}

int Fail(const std::string& message) {
    return Fail(MakeError(Errc::kInvalidArgument, message));
}

std::string Json(const std::string& text) {
    std::string out = "\"";
    for (char ch : text) {
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(ch) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(ch));
                    out += buf;
                } else {
                    out += ch;
                }
        }
    }
    return out + "\"";
}

int Main(int argc, char** argv) {
    CLI::App app{"meterhub: a self-hosted hub for energy and device telemetry", "meterhub"};
    app.set_version_flag("--version", "meterhub 0.1.0");
    app.require_subcommand(1);
    app.fallthrough();

    std::string config_file;
    std::vector<std::string> overrides;
    std::string db_path;
    std::string log_level;
    app.add_option("-c,--config", config_file, "TOML configuration file (default: $MH_CONFIG)");
    app.add_option("--set", overrides, "Override a setting: --set section.key=value (repeatable)");
    app.add_option("--db", db_path, "SQLite database file (storage.path)");
    app.add_option("--log-level", log_level, "trace, debug, info, warn or error (log.level)");
    app.footer(
        "Settings come from defaults, the --config file, MH_<SECTION>_<KEY> environment variables and\n"
        "--set/--db/--log-level, each overriding the one before. `meterhub <command> --help` for more.");

    Action action;
    AddServeCommand(app, action);
    AddAdminCommands(app, action);
    AddConfigCommands(app, action);
    AddDataCommands(app, action);
    AddSimCommands(app, action);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    ConfigSources sources;
    sources.file = config_file;
    sources.environment = ReadEnvironment();
    if (sources.file.empty()) {
        if (auto it = sources.environment.find("MH_CONFIG"); it != sources.environment.end()) sources.file = it->second;
    }
    sources.overrides = overrides;
    if (!db_path.empty()) sources.overrides.push_back("storage.path=" + db_path);
    if (!log_level.empty()) sources.overrides.push_back("log.level=" + log_level);
    auto config = LoadConfig(sources);
    if (!config) return Fail(config.error());
    SetUpLogging(config->log);
    for (const auto& warning : config->warnings) spdlog::warn("{}", warning);
    if (!action) return Fail("no command given; see meterhub --help");
    try {
        return action(*config);
    } catch (const std::exception& e) {
        spdlog::critical("unexpected failure: {}", e.what());
        return 1;
    }
}

}  // namespace mh::cli
