#include "core/config_section.hpp"

#include <algorithm>
#include <stdexcept>

namespace mh::config {

Section& Section::Add(std::string name, FieldRef ref, std::string description) {
    // Two keys with one name would make the second unreachable: a bug in the module's Describe().
    if (std::any_of(fields_.begin(), fields_.end(), [&](const Field& f) { return f.name == name; })) {
        throw std::logic_error("config: " + name_ + "." + name + " described twice");
    }
    fields_.push_back({std::move(name), ref, std::move(description)});
    return *this;
}

Section& Section::Key(std::string name, std::string& field, std::string description) {
    return Add(std::move(name), &field, std::move(description));
}

Section& Section::Key(std::string name, std::int64_t& field, std::string description) {
    return Add(std::move(name), &field, std::move(description));
}

Section& Section::Key(std::string name, bool& field, std::string description) {
    return Add(std::move(name), &field, std::move(description));
}

Section& Section::DeprecatedAlias(std::string old_key, std::string key) {
    if (std::none_of(fields_.begin(), fields_.end(), [&](const Field& f) { return f.name == key; })) {
        throw std::logic_error("config: alias " + old_key + " names no key " + name_ + "." + key);
    }
    aliases_.push_back({std::move(old_key), std::move(key)});
    return *this;
}

Section& Section::AfterLoad(AfterLoadHook hook) {
    after_load_ = std::move(hook);
    return *this;
}

Error Invalid(std::string message) {
    return MakeError(Errc::kInvalidArgument, "config: " + std::move(message));
}

std::string ToToml(const FieldRef& ref) {
    return std::visit(
        [](auto* v) -> std::string {
            using T = std::remove_pointer_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>) {
                std::string out = "\"";
                for (char ch : *v) {
                    if (ch == '"' || ch == '\\') out += '\\';
                    out += ch;
                }
                return out + "\"";
            } else if constexpr (std::is_same_v<T, bool>) {
                return *v ? "true" : "false";
            } else {
                return std::to_string(*v);
            }
        },
        ref);
}

}  // namespace mh::config
