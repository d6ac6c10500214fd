// config::Section: how one module's typed config struct shows itself to the loader. The module owns the struct
// (its defaults, its Validate() and its key descriptions); core only knows the mechanism: a section is a name and
// a list of keys, each bound to a field of the struct (a string, a whole number or a boolean) with a one-line
// description, plus optional deprecated spellings and a hook that runs once every source is applied.
//
// A module's config struct meets `SectionConfig`:
//     struct HttpConfig {
//         static constexpr std::string_view kSection = "http";
//         std::int64_t port = 8080;
//         void Describe(config::Section& section);  // section.Key("port", port, "...") for each key
//         Status Validate() const;                  // config::Invalid("http.port must be ...") when wrong
//     };
// A Section holds pointers into the struct it described: it lives no longer than that struct. Not thread-safe;
// used while loading, on one thread.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace mh::config {

using FieldRef = std::variant<std::string*, std::int64_t*, bool*>;

struct Field {
    std::string name;  // the key within its section, e.g. "port"
    FieldRef ref;
    std::string description;  // one line, for `meterhub config keys`
};

// A deprecated spelling ("smtp.host") that still sets a key of this section ("host").
struct Alias {
    std::string old_key;  // "section.key", usually of a section that no longer exists
    std::string key;      // within this section
};

// What the sources did to one section; handed to its AfterLoad hook.
struct Loaded {
    std::set<std::string, std::less<>> assigned;  // keys of this section some source set (aliases as their key)
    bool used_alias = false;                      // some source used a deprecated spelling

    bool Assigned(std::string_view key) const { return assigned.contains(key); }
};

// Runs after every source is applied and before Validate(): for defaults that depend on what was set. May add
// warnings (shown once logging is up).
using AfterLoadHook = std::function<void(const Loaded& loaded, std::vector<std::string>& warnings)>;

class Section {
  public:
    explicit Section(std::string name) : name_(std::move(name)) {}

    Section& Key(std::string name, std::string& field, std::string description);
    Section& Key(std::string name, std::int64_t& field, std::string description);
    Section& Key(std::string name, bool& field, std::string description);
    Section& DeprecatedAlias(std::string old_key, std::string key);
    Section& AfterLoad(AfterLoadHook hook);

    const std::string& name() const { return name_; }
    const std::vector<Field>& fields() const { return fields_; }
    const std::vector<Alias>& aliases() const { return aliases_; }
    const AfterLoadHook& after_load() const { return after_load_; }

  private:
    Section& Add(std::string name, FieldRef ref, std::string description);

    std::string name_;
    std::vector<Field> fields_;
    std::vector<Alias> aliases_;
    AfterLoadHook after_load_;
};

template <typename T>
concept SectionConfig = requires(T& config, const T& const_config, Section& section) {
    { T::kSection } -> std::convertible_to<std::string_view>;
    config.Describe(section);
    { const_config.Validate() } -> std::same_as<Status>;
};

// The error a Validate() returns: kInvalidArgument, "config: <message>". Messages name the key ("http.port must
// be 0..65535") so that the user knows what to change.
Error Invalid(std::string message);

// A value rendered as TOML: "text" (quotes and backslashes escaped), 42, true.
std::string ToToml(const FieldRef& ref);

}  // namespace mh::config
