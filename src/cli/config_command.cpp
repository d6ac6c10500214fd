// meterhub config keys: every setting at its default, with what it means, as a TOML file that loads as it is.
#include <iostream>

#include "cli/command.hpp"

namespace mh::cli {

void AddConfigCommands(CLI::App& app, Action& action) {
    auto* group = app.add_subcommand("config", "About the settings");
    group->require_subcommand(1);
    auto* keys = group->add_subcommand("keys", "Every setting at its default, with its meaning (TOML)");
    keys->callback([&action] {
        action = [](const Config&) {
            std::cout << KeysAsToml(ConfigKeys());
            return 0;
        };
    });
}

}  // namespace mh::cli
