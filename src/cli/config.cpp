#include "cli/config.hpp"

namespace mh::cli {
namespace {

// The schema bound to `sections`, with the MH_ variables that are not config keys.
config::Schema SchemaOf(Config& sections) {
    config::Schema schema;
    ForEachSection(sections, [&](auto& section) { schema.Add(section); });
    schema.IgnoreVariable("MH_CONFIG");       // the config file itself (cli/app.cpp)
    schema.IgnoreVariablePrefix("MH_USMS_");  // reserved for the USMS portal module's own settings
    schema.IgnoreVariablePrefix("MH_TEST_");  // test harness settings
    return schema;
}

}  // namespace

Status Config::Validate() const {
    Status status = Ok();
    ForEachSection(*this, [&](const auto& section) {
        if (status) status = section.Validate();
    });
    return status;
}

Result<Config> LoadConfig(const ConfigSources& sources) {
    Config loaded;
    config::Schema schema = SchemaOf(loaded);
    MH_ASSIGN_OR_RETURN(loaded.warnings, schema.Load(sources));
    MH_RETURN_IF_ERROR(loaded.Validate());
    return loaded;
}

std::vector<config::KeyInfo> ConfigKeys() {
    Config defaults;
    return SchemaOf(defaults).Keys();
}

std::string KeysAsToml(const std::vector<config::KeyInfo>& keys) {
    std::string out;
    std::string section;
    for (const auto& key : keys) {
        const auto dot = key.key.find('.');
        if (key.key.substr(0, dot) != section) {
            section = key.key.substr(0, dot);
            out += (out.empty() ? "[" : "\n[") + section + "]\n";
        }
        out += key.key.substr(dot + 1) + " = " + key.default_toml + "  # " + key.description + "\n";
    }
    return out;
}

}  // namespace mh::cli
