#include "core/config_schema.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <stdexcept>

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace mh::config {
namespace {

// A key as the sources name it.
struct Entry {
    std::string key;  // "section.key"
    FieldRef ref;
    std::size_t section;  // index into the schema's sections
};

struct AliasEntry {
    std::string old_key;  // "smtp.host"
    std::string key;      // "mail.host"
    std::size_t section;
};

std::string EnvName(std::string_view key) {
    std::string name = "MH_";
    for (char ch : key) name += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return name;
}

// What loading has seen so far, across sources.
class Loading {
  public:
    explicit Loading(const std::vector<Section>& sections) : sections_(sections) {
        for (std::size_t i = 0; i < sections.size(); ++i) {
            for (const auto& field : sections[i].fields()) {
                entries_.push_back({sections[i].name() + "." + field.name, field.ref, i});
            }
            for (const auto& alias : sections[i].aliases()) {
                aliases_.push_back({alias.old_key, sections[i].name() + "." + alias.key, i});
            }
        }
    }

    void NextSource() { spelled_.clear(); }

    // The entry `key` (or the deprecated alias `key`) names; nullptr when it names none. An error when one source
    // sets a key under both of its names.
    Result<const Entry*> Resolve(std::string_view key, const std::string& origin) {
        std::string_view canonical = key;
        const auto alias =
            std::find_if(aliases_.begin(), aliases_.end(), [&](const AliasEntry& a) { return a.old_key == key; });
        if (alias != aliases_.end()) canonical = alias->key;
        const auto entry =
            std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == canonical; });
        if (entry == entries_.end()) return static_cast<const Entry*>(nullptr);
        auto [it, inserted] = spelled_.emplace(std::string(canonical), std::string(key));
        if (!inserted && it->second != key) {
            return MakeError(Errc::kInvalidArgument, origin + ": both " + it->second + " and " + std::string(key) +
                                                         " are set; keep " + std::string(canonical) + " only");
        }
        if (alias != aliases_.end()) {
            used_alias_.insert(entry->section);
            warnings_.push_back(origin + ": " + std::string(key) + " is deprecated; use " + std::string(canonical) +
                                " (the [" + sections_[entry->section].name() + "] section)");
        }
        assigned_.insert(std::string(canonical));
        return &*entry;
    }

    // The key whose variable MH_<SECTION>_<KEY> is `name` (deprecated aliases included); empty when none.
    std::string KeyOfVariable(const std::string& name) const {
        for (const auto& entry : entries_) {
            if (EnvName(entry.key) == name) return entry.key;
        }
        for (const auto& alias : aliases_) {
            if (EnvName(alias.old_key) == name) return alias.old_key;
        }
        return "";
    }

    std::vector<std::string> Finish() {
        for (std::size_t i = 0; i < sections_.size(); ++i) {
            if (!sections_[i].after_load()) continue;
            Loaded loaded;
            loaded.used_alias = used_alias_.contains(i);
            const std::string prefix = sections_[i].name() + ".";
            for (const auto& key : assigned_) {
                if (key.starts_with(prefix)) loaded.assigned.insert(key.substr(prefix.size()));
            }
            sections_[i].after_load()(loaded, warnings_);
        }
        return std::move(warnings_);
    }

  private:
    const std::vector<Section>& sections_;
    std::vector<Entry> entries_;
    std::vector<AliasEntry> aliases_;
    std::set<std::string> assigned_;  // keys set by any source (aliases counted as the key they stand for)
    std::set<std::size_t> used_alias_;
    std::map<std::string, std::string, std::less<>> spelled_;  // this source: key -> the spelling it used
    std::vector<std::string> warnings_;
};

// Sets a field from text (environment variables and overrides).
Status SetFromText(const Entry& entry, std::string_view text, const std::string& origin) {
    return std::visit(
        [&](auto* target) -> Status {
            using T = std::remove_pointer_t<decltype(target)>;
            if constexpr (std::is_same_v<T, std::string>) {
                *target = std::string(text);
            } else if constexpr (std::is_same_v<T, bool>) {
                if (text == "true" || text == "1" || text == "yes" || text == "on") {
                    *target = true;
                } else if (text == "false" || text == "0" || text == "no" || text == "off") {
                    *target = false;
                } else {
                    return MakeError(
                        Errc::kInvalidArgument,
                        origin + ": " + entry.key + " must be true or false, not '" + std::string(text) + "'");
                }
            } else {
                std::int64_t value = 0;
                auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
                if (ec != std::errc{} || end != text.data() + text.size()) {
                    return MakeError(
                        Errc::kInvalidArgument,
                        origin + ": " + entry.key + " must be a whole number, not '" + std::string(text) + "'");
                }
                *target = value;
            }
            return Ok();
        },
        entry.ref);
}

Status SetFromToml(const Entry& entry, const toml::node& node, const std::string& origin) {
    return std::visit(
        [&](auto* target) -> Status {
            using T = std::remove_pointer_t<decltype(target)>;
            if constexpr (std::is_same_v<T, std::string>) {
                if (auto v = node.value_exact<std::string>()) {
                    *target = *v;
                    return Ok();
                }
                return MakeError(Errc::kInvalidArgument, origin + ": " + entry.key + " must be a string");
            } else if constexpr (std::is_same_v<T, bool>) {
                if (auto v = node.value_exact<bool>()) {
                    *target = *v;
                    return Ok();
                }
                return MakeError(Errc::kInvalidArgument, origin + ": " + entry.key + " must be true or false");
            } else {
                if (auto v = node.value_exact<std::int64_t>()) {
                    *target = *v;
                    return Ok();
                }
                return MakeError(Errc::kInvalidArgument, origin + ": " + entry.key + " must be a whole number");
            }
        },
        entry.ref);
}

Status ApplyFile(Loading& loading, const std::string& path) {
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        return MakeError(Errc::kInvalidArgument, path + ":" + std::to_string(where.line) + ":" +
                                                     std::to_string(where.column) + ": " +
                                                     std::string(e.description()));
    }
    for (const auto& [section, node] : root) {
        const auto* table = node.as_table();
        if (table == nullptr) {
            return MakeError(Errc::kInvalidArgument,
                             path + ": '" + std::string(section.str()) + "' must be a [section], not a value");
        }
        for (const auto& [key, value] : *table) {
            const std::string full = std::string(section.str()) + "." + std::string(key.str());
            MH_ASSIGN_OR_RETURN(const Entry* entry, loading.Resolve(full, path));
            if (entry == nullptr) {
                return MakeError(Errc::kInvalidArgument, path + ":" + std::to_string(value.source().begin.line) +
                                                             ": unknown key '" + full + "'");
            }
            MH_RETURN_IF_ERROR(SetFromToml(*entry, value, path));
        }
    }
    return Ok();
}

}  // namespace

std::map<std::string, std::string> ReadEnvironment() {
    std::map<std::string, std::string> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view entry(*e);
        if (!entry.starts_with("MH_")) continue;
        const auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        out.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    return out;
}

void Schema::AddSection(Section section) {
    if (std::any_of(sections_.begin(), sections_.end(), [&](const Section& s) { return s.name() == section.name(); })) {
        throw std::logic_error("config: section [" + section.name() + "] added twice");
    }
    sections_.push_back(std::move(section));
}

Result<std::vector<std::string>> Schema::Load(const Sources& sources) {
    Loading loading(sections_);
    if (!sources.file.empty()) MH_RETURN_IF_ERROR(ApplyFile(loading, sources.file));

    loading.NextSource();
    for (const auto& [name, value] : sources.environment) {
        const bool ignored = std::any_of(ignored_.begin(), ignored_.end(), [&](const Ignored& i) {
            return i.prefix ? name.starts_with(i.name) : name == i.name;
        });
        if (ignored) continue;
        const std::string key = loading.KeyOfVariable(name);
        MH_ASSIGN_OR_RETURN(const Entry* entry, loading.Resolve(key, "environment"));
        if (key.empty() || entry == nullptr) {
            return MakeError(Errc::kInvalidArgument, "environment: unknown variable " + name +
                                                         " (settings are MH_<SECTION>_<KEY>, e.g. MH_STORAGE_PATH)");
        }
        MH_RETURN_IF_ERROR(SetFromText(*entry, value, "environment " + name));
    }

    loading.NextSource();
    for (const auto& override_text : sources.overrides) {
        const auto eq = override_text.find('=');
        if (eq == std::string::npos) {
            return MakeError(Errc::kInvalidArgument, "--set '" + override_text + "': expected section.key=value");
        }
        const std::string key = override_text.substr(0, eq);
        MH_ASSIGN_OR_RETURN(const Entry* entry, loading.Resolve(key, "--set"));
        if (entry == nullptr) return MakeError(Errc::kInvalidArgument, "--set: unknown key '" + key + "'");
        MH_RETURN_IF_ERROR(SetFromText(*entry, std::string_view(override_text).substr(eq + 1), "--set"));
    }
    return loading.Finish();
}

std::vector<KeyInfo> Schema::Keys() const {
    std::vector<KeyInfo> out;
    for (const auto& section : sections_) {
        for (const auto& field : section.fields()) {
            out.push_back({section.name() + "." + field.name, ToToml(field.ref), field.description});
        }
    }
    return out;
}

}  // namespace mh::config
