// Config: every setting meterhub reads, assembled from the sections the modules own (each module's struct has its
// defaults, its keys and its Validate(); core/config_schema.hpp loads them). Assembled here because cli is the one
// layer that knows every module; adding a module's section is one line in ForEachSection().
//
// Sources, lowest precedence first: built-in defaults, the TOML file (--config), environment variables
// MH_<SECTION>_<KEY> (e.g. MH_STORAGE_PATH), and command-line overrides (--set section.key=value and the
// convenience flags that map onto them). Unknown keys in any source are errors, so a typo never silently
// falls back to a default. config/example.toml lists every key; a test keeps the two in step.
// A Config is a plain value: copy it, read it from any thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/auth_config.hpp"
#include "cli/demo_config.hpp"
#include "collect/opendtu_config.hpp"
#include "collect/solarman_config.hpp"
#include "core/config_schema.hpp"
#include "core/log_config.hpp"
#include "core/result.hpp"
#include "net/http_config.hpp"
#include "net/mail_config.hpp"
#include "net/mqtt_config.hpp"
#include "store/retention_config.hpp"
#include "store/storage_config.hpp"
#include "tsdb/tsdb_config.hpp"

namespace mh::cli {

struct Config {
    store::StorageConfig storage;
    net::HttpConfig http;
    api::AuthConfig auth;
    collect::SolarmanConfig solarman;
    net::MqttConfig mqtt;
    collect::OpenDtuConfig opendtu;
    net::MailConfig mail;
    tsdb::TsdbConfig tsdb;
    store::RetentionConfig retention;
    LogConfig log;
    DemoConfig demo;

    // Things worth a warning once logging is up (deprecated keys that were used); not errors.
    std::vector<std::string> warnings;

    // Each section's Validate(), in order; the first error.
    Status Validate() const;
};

// Calls `visit(section)` for every section of `config` (Config or const Config), in the order keys are listed.
template <typename C, typename Visit>
void ForEachSection(C& config, Visit&& visit) {
    visit(config.storage);
    visit(config.http);
    visit(config.auth);
    visit(config.solarman);
    visit(config.mqtt);
    visit(config.opendtu);
    visit(config.mail);
    visit(config.tsdb);
    visit(config.retention);
    visit(config.log);
    visit(config.demo);
}

using ConfigSources = config::Sources;
using config::ReadEnvironment;

Result<Config> LoadConfig(const ConfigSources& sources);

// Every key as "section.key", with its default rendered as TOML and its description; used by
// `meterhub config keys` and the test that checks config/example.toml.
std::vector<config::KeyInfo> ConfigKeys();

// `keys` as a TOML file that loads as it is: a [section] per module, each key at its value with its description as
// a comment (cli/config_command.cpp).
std::string KeysAsToml(const std::vector<config::KeyInfo>& keys);

}  // namespace mh::cli
