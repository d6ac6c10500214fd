// config::Schema: the sections of one program's configuration and the loader that fills them from every source.
// Core knows no module: whoever assembles the program (cli/config.hpp) adds each module's section, bound to the
// struct it fills.
//
// Sources, lowest precedence first: the structs' own defaults, a TOML file, environment variables
// MH_<SECTION>_<KEY> (e.g. MH_STORAGE_PATH), and overrides "section.key=value". An unknown key in any source is an
// error, so a typo never silently falls back to a default; so is a value of the wrong type, and one source setting
// a key under both its name and a deprecated alias. Sections never validate here: the caller runs each struct's
// Validate() after Load().
//
// A Schema holds pointers into the structs it was given: it lives no longer than they do. Not thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/config_section.hpp"
#include "core/result.hpp"

namespace mh::config {

struct Sources {
    std::string file;                                // empty: no file
    std::map<std::string, std::string> environment;  // usually from ReadEnvironment()
    std::vector<std::string> overrides;              // "section.key=value", highest precedence
};

// The MH_* variables of this process.
std::map<std::string, std::string> ReadEnvironment();

// One key as listed by `meterhub config keys` and checked against config/example.toml.
struct KeyInfo {
    std::string key;           // "section.key"
    std::string default_toml;  // the bound field's value rendered as TOML (its default, on a fresh struct)
    std::string description;
};

class Schema {
  public:
    // Adds `config`'s section, bound to `config`.
    template <SectionConfig T>
    void Add(T& config) {
        Section section{std::string(T::kSection)};
        config.Describe(section);
        AddSection(std::move(section));
    }
    void AddSection(Section section);  // a section name added twice is a bug (std::logic_error)

    // MH_ variables that belong to something other than a config key: an exact name ("MH_CONFIG"), or every name
    // starting with `prefix` ("MH_USMS_"). Load() skips them.
    void IgnoreVariable(std::string name) { ignored_.push_back({std::move(name), false}); }
    void IgnoreVariablePrefix(std::string prefix) { ignored_.push_back({std::move(prefix), true}); }

    // Applies the sources in order, then each section's AfterLoad hook. Returns the warnings (deprecated keys that
    // were used); the first error in any source ends loading.
    Result<std::vector<std::string>> Load(const Sources& sources);

    // Every key, in the order the sections and their keys were added.
    std::vector<KeyInfo> Keys() const;

  private:
    struct Ignored {
        std::string name;
        bool prefix;
    };
    std::vector<Section> sections_;
    std::vector<Ignored> ignored_;
};

}  // namespace mh::config
