// db, tenant, user, device and series: the operator's management commands.
#include <unistd.h>

#include <iostream>

#include "cli/command.hpp"
#include "cli/runtime.hpp"
#include "cli/table.hpp"
#include "core/time_zone.hpp"
#include "domain/access.hpp"
#include "domain/devices.hpp"
#include "domain/passwords.hpp"

namespace mh::cli {
namespace {

using domain::Access;

// Reads a password from stdin: one line, without its newline. Prompts when stdin is a terminal.
Result<std::string> ReadPassword() {
    if (isatty(STDIN_FILENO) != 0) std::cerr << "password: " << std::flush;
    std::string password;
    if (!std::getline(std::cin, password)) return MakeError(Errc::kInvalidArgument, "no password on standard input");
    if (!password.empty() && password.back() == '\r') password.pop_back();
    return password;
}

// Runs `body` with a freshly opened runtime; maps its error to an exit code.
template <class Body>
Action WithRuntime(bool read_only, Body body) {
    return [read_only, body](const Config& config) -> int {
        auto runtime = Runtime::Open(config, read_only);
        if (!runtime) return Fail(runtime.error());
        Status status = body(**runtime);
        return status ? 0 : Fail(status.error());
    };
}

void AddDb(CLI::App& app, Action& action) {
    auto* db = app.add_subcommand("db", "Database schema and status");
    db->require_subcommand(1);
    db->add_subcommand("migrate", "Apply pending schema migrations (serve does this at start)")->callback([&action] {
        action = WithRuntime(false, [](Runtime& rt) -> Status {
            MH_ASSIGN_OR_RETURN(int version, rt.store->SchemaVersion());
            std::cout << "schema version " << version << " (latest " << rt.store->LatestSchemaVersion() << ") in "
                      << rt.store->Describe() << "\n";
            return Ok();
        });
    });
    db->add_subcommand("status", "Schema version and what the database holds")->callback([&action] {
        action = WithRuntime(true, [](Runtime& rt) -> Status {
            MH_ASSIGN_OR_RETURN(int version, rt.store->SchemaVersion());
            MH_ASSIGN_OR_RETURN(auto tenants, rt.store->tenants().ListTenants());
            MH_ASSIGN_OR_RETURN(auto users, rt.store->users().ListUsers());
            MH_ASSIGN_OR_RETURN(auto stats, rt.store->chunks().ChunkStats());
            std::cout << "database:       " << rt.store->Describe() << "\n"
                      << "schema version: " << version << " (latest " << rt.store->LatestSchemaVersion() << ")\n"
                      << "tenants:        " << tenants.size() << "\nusers:          " << users.size() << "\n"
                      << "chunks:         " << stats.chunks << " holding " << stats.samples << " samples in "
                      << stats.chunk_bytes << " bytes";
            if (stats.samples > 0) {
                std::cout << " (" << static_cast<double>(stats.chunk_bytes) / static_cast<double>(stats.samples)
                          << " bytes/sample)";
            }
            std::cout << "\n";
            return Ok();
        });
    });
}

void AddTenant(CLI::App& app, Action& action) {
    auto* tenant = app.add_subcommand("tenant", "Manage tenants (households, operators' customers, FabLabs)");
    tenant->require_subcommand(1);

    auto* add = tenant->add_subcommand("add", "Create a tenant");
    auto name = std::make_shared<std::string>();
    auto zone = std::make_shared<std::string>("UTC");
    auto retention = std::make_shared<std::int64_t>(0);
    add->add_option("name", *name, "Unique name")->required();
    add->add_option("--tz", *zone, "IANA time zone for days, months and years (default UTC)");
    add->add_option("--retention-days", *retention, "Keep raw samples this long (default retention.default_raw_days)")
        ->check(CLI::PositiveNumber);
    add->callback([&action, name, zone, retention] {
        action = WithRuntime(false, [name, zone, retention](Runtime& rt) -> Status {
            MH_RETURN_IF_ERROR(TimeZone::Find(*zone));
            const std::int64_t days = *retention > 0 ? *retention : rt.config.retention.default_raw_days;
            MH_ASSIGN_OR_RETURN(auto t, rt.store->tenants().CreateTenant({*name, *zone, days}));
            std::cout << "tenant " << t.name << " created (id " << t.id.value() << ", " << t.time_zone << ")\n";
            return Ok();
        });
    });

    auto* list = tenant->add_subcommand("list", "List tenants");
    auto json = std::make_shared<bool>(false);
    list->add_flag("--json", *json, "JSON output");
    list->callback([&action, json] {
        action = WithRuntime(true, [json](Runtime& rt) -> Status {
            MH_ASSIGN_OR_RETURN(auto tenants, rt.store->tenants().ListTenants());
            if (*json) {
                std::cout << "[";
                for (std::size_t i = 0; i < tenants.size(); ++i) {
                    const auto& t = tenants[i];
                    std::cout << (i ? "," : "") << "{\"id\":" << t.id.value() << ",\"name\":" << Json(t.name)
                              << ",\"time_zone\":" << Json(t.time_zone)
                              << ",\"raw_retention_days\":" << t.raw_retention_days << "}";
                }
                std::cout << "]\n";
                return Ok();
            }
            Table table({"ID", "NAME", "TIME ZONE", "RAW RETENTION"});
            for (const auto& t : tenants) {
                table.Add({std::to_string(t.id.value()), t.name, t.time_zone,
                           std::to_string(t.raw_retention_days) + " days"});
            }
            table.Print(std::cout);
            return Ok();
        });
    });

    auto* del = tenant->add_subcommand("delete", "Delete a tenant and everything it owns");
    auto del_name = std::make_shared<std::string>();
    del->add_option("name", *del_name, "Tenant name")->required();
    del->callback([&action, del_name] {
        action = WithRuntime(false, [del_name](Runtime& rt) -> Status {
            MH_ASSIGN_OR_RETURN(auto t, rt.Tenant(*del_name));
            MH_RETURN_IF_ERROR(rt.store->tenants().DeleteTenant(t.id));
            std::cout << "tenant " << t.name << " deleted with its members, devices and data\n";
            return Ok();
        });
    });
}

void AddUser(CLI::App& app, Action& action) {
    auto* user = app.add_subcommand("user", "Manage user accounts");
    user->require_subcommand(1);

    struct AddArgs {
        std::string email, name, tenant, role = "owner";
        bool admin = false;
    };
    auto args = std::make_shared<AddArgs>();
    auto* add = user->add_subcommand("add", "Create a user; the password is read from standard input");
    add->add_option("email", args->email, "E-mail address (the login)")->required();
    add->add_option("--name", args->name, "Display name");
    add->add_flag("--admin", args->admin, "System administrator");
    add->add_option("--tenant", args->tenant, "Make the user a member of this tenant");
    add->add_option("--role", args->role, "Role in --tenant: owner, admin or viewer")
        ->check(CLI::IsMember({"owner", "admin", "viewer"}));
    add->callback([&action, args] {
        action = WithRuntime(false, [args](Runtime& rt) -> Status {
            if (args->email.find('@') == std::string::npos) {
                return MakeError(Errc::kInvalidArgument, "'" + args->email + "' is not an e-mail address");
            }
            std::optional<store::Tenant> tenant;
            if (!args->tenant.empty()) {
                MH_ASSIGN_OR_RETURN(tenant, rt.Tenant(args->tenant));
            }
            MH_ASSIGN_OR_RETURN(auto password, ReadPassword());
            MH_ASSIGN_OR_RETURN(auto hash, domain::HashPassword(password));
            MH_ASSIGN_OR_RETURN(auto u, rt.store->users().CreateUser({args->email, args->name, hash, args->admin}));
            if (tenant) {
                Role role = Role::kOwner;
                ParseRole(args->role, role);
                MH_RETURN_IF_ERROR(rt.store->users().SetMember(tenant->id, u.id, role));
            }
            std::cout << "user " << u.email << " created (id " << u.id.value() << ")"
                      << (tenant ? ", " + args->role + " of " + tenant->name : std::string()) << "\n";
            return Ok();
        });
    });

    auto* list = user->add_subcommand("list", "List users");
    list->callback([&action] {
        action = WithRuntime(true, [](Runtime& rt) -> Status {
            MH_ASSIGN_OR_RETURN(auto users, rt.store->users().ListUsers());
            Table table({"ID", "EMAIL", "NAME", "ADMIN", "VERIFIED"});
            for (const auto& u : users) {
                table.Add({std::to_string(u.id.value()), u.email, u.display_name, u.system_admin ? "yes" : "no",
                           u.email_verified ? "yes" : "no"});
            }
            table.Print(std::cout);
            return Ok();
        });
    });

    auto email = std::make_shared<std::string>();
    auto* passwd = user->add_subcommand("passwd", "Set a user's password (read from standard input)");
    passwd->add_option("email", *email, "The user's e-mail")->required();
    passwd->callback([&action, email] {
        action = WithRuntime(false, [email](Runtime& rt) -> Status {
            MH_ASSIGN_OR_RETURN(auto u, rt.store->users().FindUserByEmail(*email));
            MH_ASSIGN_OR_RETURN(auto password, ReadPassword());
            MH_ASSIGN_OR_RETURN(auto hash, domain::HashPassword(password));
            MH_RETURN_IF_ERROR(rt.store->users().SetPasswordHash(u.id, hash));
            std::cout << "password of " << u.email << " changed\n";
            return Ok();
        });
    });

    auto del_email = std::make_shared<std::string>();
    auto* del = user->add_subcommand("delete", "Delete a user and their memberships");
    del->add_option("email", *del_email, "The user's e-mail")->required();
    del->callback([&action, del_email] {
        action = WithRuntime(false, [del_email](Runtime& rt) -> Status {
            MH_ASSIGN_OR_RETURN(auto u, rt.store->users().FindUserByEmail(*del_email));
            MH_RETURN_IF_ERROR(rt.store->users().DeleteUser(u.id));
            std::cout << "user " << u.email << " deleted\n";
            return Ok();
        });
    });
}

void AddDevice(CLI::App& app, Action& action) {
    auto* device = app.add_subcommand("device", "Manage a tenant's devices");
    device->require_subcommand(1);

    struct Args {
        std::string tenant, name, serial, source = "generic", model, poll;
        std::int64_t id = 0;
        std::optional<double> rated_power;
        std::optional<int> mppts;
    };
    auto args = std::make_shared<Args>();
    auto* add = device->add_subcommand("add", "Register a device");
    add->add_option("--tenant", args->tenant, "Tenant name")->required();
    add->add_option("--name", args->name, "Display name")->required();
    add->add_option("--serial", args->serial, "Logger, inverter or meter serial");
    add->add_option("--source", args->source, "generic, solarman, opendtu, solaredge, usms, fablab, demo");
    add->add_option("--model", args->model, "Model, or the field/register map (e.g. deye_micro_modbus)");
    add->add_option("--poll", args->poll, "Pull mode: poll the Solarman logger at HOST[:PORT] (port 8899)");
    add->add_option("--rated-power", args->rated_power, "Rated AC power in W")->check(CLI::Range(0.0, 1e9));
    add->add_option("--mppts", args->mppts, "Number of PV inputs (MPPTs)")->check(CLI::Range(1, 64));
    add->callback([&action, args] {
        action = WithRuntime(false, [args](Runtime& rt) -> Status {
            MH_ASSIGN_OR_RETURN(auto t, rt.Tenant(args->tenant));
            const auto scope = Access::ForOperator(t.id);
            store::NewDevice fresh{args->name, args->source, args->serial, args->model, args->poll};
            fresh.rated_power_w = args->rated_power;
            fresh.mppt_count = args->mppts;
            MH_ASSIGN_OR_RETURN(auto d, domain::Devices(rt.store->devices(), nullptr).Create(scope, fresh));
            std::cout << "device " << d.name << " created (id " << d.id.value() << ")\n";
            return Ok();
        });
    });

    auto* list = device->add_subcommand("list", "List a tenant's devices");
    list->add_option("--tenant", args->tenant, "Tenant name")->required();
    list->callback([&action, args] {
        action = WithRuntime(true, [args](Runtime& rt) -> Status {
            MH_ASSIGN_OR_RETURN(auto t, rt.Tenant(args->tenant));
            MH_ASSIGN_OR_RETURN(auto devices, rt.store->devices().ListDevices(Access::ForOperator(t.id)));
            Table table({"ID", "NAME", "SOURCE", "SERIAL", "MODEL", "RATED W", "MPPTS", "FIRMWARE"});
            for (const auto& d : devices) {
                table.Add({std::to_string(d.id.value()), d.name, d.source, d.serial, d.model,
                           d.rated_power_w ? std::to_string(static_cast<std::int64_t>(*d.rated_power_w)) : "",
                           d.mppt_count ? std::to_string(*d.mppt_count) : "", d.firmware});
            }
            table.Print(std::cout);
            return Ok();
        });
    });

    auto edit_args = std::make_shared<store::DeviceUpdate>();
    auto* edit = device->add_subcommand("edit", "Change a device's name, serial, model, poll address, rating or MPPTs");
    edit->add_option("--tenant", args->tenant, "Tenant name")->required();
    edit->add_option("id", args->id, "Device id (see `device list`)")->required();
    edit->add_option("--name", edit_args->name, "Display name");
    edit->add_option("--serial", edit_args->serial, "Serial (empty: none)");
    edit->add_option("--model", edit_args->model, "Model or field/register map");
    edit->add_option("--poll", edit_args->poll_address, "Pull-mode address (empty: the device pushes)");
    edit->add_option("--rated-power", edit_args->rated_power_w, "Rated AC power in W")->check(CLI::Range(0.0, 1e9));
    edit->add_option("--mppts", edit_args->mppt_count, "Number of PV inputs")->check(CLI::Range(1, 64));
    edit->callback([&action, args, edit_args] {
        action = WithRuntime(false, [args, edit_args](Runtime& rt) -> Status {
            MH_ASSIGN_OR_RETURN(auto t, rt.Tenant(args->tenant));
            MH_RETURN_IF_ERROR(domain::Devices(rt.store->devices(), nullptr).Update(Access::ForOperator(t.id), DeviceId{args->id}, *edit_args));
            std::cout << "device " << args->id << " updated\n";
            return Ok();
        });
    });

    auto* unclaimed = device->add_subcommand("unclaimed", "Devices that sent data no tenant registered");
    unclaimed->callback([&action] {
        action = WithRuntime(true, [](Runtime& rt) -> Status {
            MH_ASSIGN_OR_RETURN(auto waiting, rt.store->devices().ListUnclaimed());
            Table table({"SOURCE", "SERIAL", "FIRST SEEN", "LAST SEEN", "FRAMES", "FROM", "DETAILS"});
            for (const auto& d : waiting) {
                table.Add({d.source, d.serial, FormatUtc(d.first_seen), FormatUtc(d.last_seen),
                           std::to_string(d.frames), d.remote_address, d.details});
            }
            table.Print(std::cout);
            if (waiting.empty()) std::cout << "(no unclaimed devices)\n";
            return Ok();
        });
    });

    auto* claim = device->add_subcommand("claim", "Make an unclaimed device (see `device unclaimed`) a tenant's");
    claim->add_option("serial", args->serial, "The device's serial, e.g. the logger serial printed on the stick")
        ->required();
    claim->add_option("--tenant", args->tenant, "Tenant name")->required();
    claim->add_option("--name", args->name, "Display name (default: source and serial)");
    claim->add_option("--source", args->source, "Only needed when devices of two sources share the serial");
    claim->callback([&action, args, claim] {
        const bool source_given = claim->count("--source") > 0;
        action = WithRuntime(false, [args, source_given](Runtime& rt) -> Status {
            MH_ASSIGN_OR_RETURN(auto t, rt.Tenant(args->tenant));
            std::optional<std::string_view> source;
            if (source_given) source = args->source;
            MH_ASSIGN_OR_RETURN(auto d,
                                domain::Devices(rt.store->devices(), nullptr).Claim(Access::ForOperator(t.id), args->serial, source, args->name));
            std::cout << d.source << " device " << d.serial << " is now '" << d.name << "' of " << t.name << " (id "
                      << d.id.value() << ")\n";
            return Ok();
        });
    });

    auto* del = device->add_subcommand("delete", "Delete a device with its series and samples");
    del->add_option("--tenant", args->tenant, "Tenant name")->required();
    del->add_option("id", args->id, "Device id")->required();
    del->callback([&action, args] {
        action = WithRuntime(false, [args](Runtime& rt) -> Status {
            MH_ASSIGN_OR_RETURN(auto t, rt.Tenant(args->tenant));
            MH_RETURN_IF_ERROR(domain::Devices(rt.store->devices(), nullptr).Delete(Access::ForOperator(t.id), DeviceId{args->id}));
            std::cout << "device " << args->id << " deleted\n";
            return Ok();
        });
    });
}

void AddSeries(CLI::App& app, Action& action) {
    auto* series = app.add_subcommand("series", "Manage a tenant's series (device, metric, unit, kind)");
    series->require_subcommand(1);
    struct Args {
        std::string tenant, metric, unit, kind = "gauge";
        std::int64_t device = 0;
    };
    auto args = std::make_shared<Args>();
    auto* add = series->add_subcommand("add", "Create a series (or show the existing one)");
    add->add_option("--tenant", args->tenant, "Tenant name")->required();
    add->add_option("--device", args->device, "Device id")->required();
    add->add_option("--metric", args->metric, "Metric name, e.g. power_ac")->required();
    add->add_option("--unit", args->unit, "Unit, e.g. W or kWh")->required();
    add->add_option("--kind", args->kind, "gauge or counter")->check(CLI::IsMember({"gauge", "counter"}));
    add->callback([&action, args] {
        action = WithRuntime(false, [args](Runtime& rt) -> Status {
            MH_ASSIGN_OR_RETURN(auto t, rt.Tenant(args->tenant));
            const auto kind = store::ParseSeriesKind(args->kind).value_or(store::SeriesKind::kGauge);
            MH_ASSIGN_OR_RETURN(auto s,
                                rt.store->devices().EnsureSeries(Access::ForOperator(t.id),
                                                       {DeviceId{args->device}, args->metric, args->unit, kind}));
            std::cout << "series " << s.id.value() << ": " << s.metric << " [" << s.unit << "] "
                      << store::SeriesKindName(s.kind) << "\n";
            return Ok();
        });
    });
    auto* list = series->add_subcommand("list", "List a tenant's series");
    list->add_option("--tenant", args->tenant, "Tenant name")->required();
    list->add_option("--device", args->device, "Only this device's");
    list->callback([&action, args] {
        action = WithRuntime(true, [args](Runtime& rt) -> Status {
            MH_ASSIGN_OR_RETURN(auto t, rt.Tenant(args->tenant));
            std::optional<DeviceId> device;
            if (args->device > 0) device = DeviceId{args->device};
            MH_ASSIGN_OR_RETURN(auto all, rt.store->devices().ListSeries(Access::ForOperator(t.id), device));
            Table table({"ID", "DEVICE", "METRIC", "UNIT", "KIND"});
            for (const auto& s : all) {
                table.Add({std::to_string(s.id.value()), std::to_string(s.device.value()), s.metric, s.unit,
                           store::SeriesKindName(s.kind)});
            }
            table.Print(std::cout);
            return Ok();
        });
    });
}

}  // namespace

void AddAdminCommands(CLI::App& app, Action& action) {
    AddDb(app, action);
    AddTenant(app, action);
    AddUser(app, action);
    AddDevice(app, action);
    AddSeries(app, action);
}

}  // namespace mh::cli
