// The shape every subcommand shares: it registers its options on a CLI11 app and, when chosen, runs with
// the loaded configuration. Each file in cli/ registers one group of subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "cli/config.hpp"
#include "core/result.hpp"

namespace mh::cli {

// What runs once the command line is parsed and the configuration is loaded. Returns the exit code.
using Action = std::function<int(const Config&)>;

// Each registers its subcommands under `app`; the chosen one stores its action in `action`.
void AddAdminCommands(CLI::App& app, Action& action);       // db, tenant, user, device, series
void AddConfigCommands(CLI::App& app, Action& action);      // config keys
void AddDataCommands(CLI::App& app, Action& action);        // query, export, purge
void AddServeCommand(CLI::App& app, Action& action);        // serve
void AddSimCommands(CLI::App& app, Action& action);         // sim
void AddSimSolarmanCommand(CLI::App& sim, Action& action);  // sim solarman
void AddSimOpenDtuCommand(CLI::App& sim, Action& action);   // sim opendtu

// Prints "error: message" to stderr and returns the exit code for the error's category.
int Fail(const Error& error);
int Fail(const std::string& message);

// Output helpers.
std::string Json(const std::string& text);  // a JSON string literal

}  // namespace mh::cli
