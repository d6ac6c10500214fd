// The inverter pages: the tenant's home (every inverter's power and today's energy, with totals), the
// per-inverter dashboard, inverter management (add, edit, delete) and claiming unclaimed devices.
#include <boost/json.hpp>
#include <charconv>

#include "api/json_body.hpp"
#include "domain/devices.hpp"
#include "domain/inverter_figures.hpp"
#include "domain/inverter_series.hpp"
#include "web/format.hpp"
#include "web/site.hpp"

namespace mh::web {

namespace json = boost::json;

namespace {

constexpr std::string_view kSources[] = {"solarman", "opendtu", "generic"};

json::object FiguresView(const domain::TodayFigures& today, const Catalog& texts, const TimeZone& zone) {
    json::object out;
    if (today.current) {
        out["power"] = FormatPower(today.current->watts, texts);
        out["age"] = FormatAge(today.current->age_s, texts);
        out["fresh"] = today.current->fresh;
    }
    out["energy_today"] = FormatEnergy(today.energy_kwh, texts);
    if (today.peak) {
        out["peak"] = FormatPower(today.peak->value, texts);
        out["peak_at"] = FormatClock(today.peak->ts_ms, zone);
    }
    if (today.last_hour_average) out["last_hour"] = FormatPower(*today.last_hour_average, texts);
    return out;
}

// The device form's fields as the API's JSON, so that both check them the same way (api::ParseDeviceFields).
Result<api::DeviceFields> DeviceFieldsOf(const Form& form, bool with_source) {
    json::object body;
    for (const char* name : {"name", "serial", "model", "poll_address"}) body[name] = form.Get(name);
    if (with_source) body["source"] = form.Get("source");
    for (const char* name : {"rated_power_w", "mppt_count"}) {
        const std::string text = form.Get(name);
        if (text.empty()) continue;
        double value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size()) {
            return MakeError(Errc::kInvalidArgument, std::string(name) + ": must be a number");
        }
        if (std::string_view(name) == "mppt_count") {
            body[name] = static_cast<std::int64_t>(value);
        } else {
            body[name] = value;
        }
    }
    return api::ParseDeviceFields(body);
}

json::object DeviceFormValues(const Form& form) {
    json::object values;
    for (const char* name : {"name", "source", "serial", "model", "poll_address", "rated_power_w", "mppt_count"}) {
        values[name] = form.Get(name);
    }
    return values;
}

json::array SourceOptions(std::string_view selected) {
    json::array options;
    for (const auto source : kSources) {
        options.push_back(json::object{{"value", source}, {"selected", source == selected}});
    }
    return options;
}

std::optional<DeviceId> DeviceParam(const api::Params& params) {
    const auto id = ParseInteger(params.at("device"));
    if (!id) return std::nullopt;
    return DeviceId{*id};
}

}  // namespace

void Site::AddInverterPages() {
    using net::Method;

    auto zone_of = [this](const TenantScope& scope) {
        auto tenant = store_.tenants().GetTenant(scope.tenant());
        return tenant ? TimeZone::Find(tenant->time_zone).value_or(TimeZone::Utc()) : TimeZone::Utc();
    };

    // The tenant's home and its live fragment: one card per inverter and the totals.
    auto home_context = [this, zone_of](Call& call, const TenantScope& scope) -> Result<json::object> {
        json::object context = TenantContext(call, scope, "home");
        const TimeZone zone = zone_of(scope);
        MH_ASSIGN_OR_RETURN(auto inverters, domain::ListInverters(store_, scope));
        MH_ASSIGN_OR_RETURN(auto today, domain::InverterFigures(engine_, scope, zone).Today(inverters));
        json::array cards;
        json::array live_series;
        for (const auto& [inverter, figures] : today.inverters) {
            json::object card = FiguresView(figures, *call.texts, zone);
            card["id"] = std::to_string(inverter->device.id.value());
            card["name"] = inverter->device.name;
            cards.push_back(std::move(card));
            if (inverter->power) live_series.emplace_back(std::to_string(inverter->power->value()));
        }
        context["inverters"] = std::move(cards);
        context["total"] = FiguresView(today.total, *call.texts, zone);
        context["live_series"] = json::serialize(live_series);
        context["title"] = call.texts->Text("home_title");
        MH_ASSIGN_OR_RETURN(auto devices, store_.devices().ListDevices(scope));
        context["has_devices"] = !devices.empty();
        context["public_url"] = options_.public_url;
        context["collector_address"] = options_.collector_address;
        return context;
    };

    Add(Method::kGet, "/t/{tenant}", Access::kUser, [this, home_context](Call& call) {
        auto scope = ScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        auto context = home_context(call, *scope);
        if (!context) return ErrorPage(call, context.error());
        return Render(call, "home", std::move(*context));
    });
    Add(Method::kGet, "/t/{tenant}/live", Access::kUser, [this, home_context](Call& call) {
        auto scope = ScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        auto context = home_context(call, *scope);
        if (!context) return ErrorPage(call, context.error());
        return Render(call, "home_cards", std::move(*context));
    });

    // One inverter's dashboard and its live fragment.
    auto dashboard_context = [this, zone_of](Call& call, const TenantScope& scope) -> Result<json::object> {
        const auto id = DeviceParam(call.params);
        if (!id) return MakeError(Errc::kNotFound, "no such inverter");
        MH_ASSIGN_OR_RETURN(auto device, store_.devices().GetDevice(scope, *id));
        json::object context = TenantContext(call, scope, "inverters");
        context["title"] = device.name;
        context["device"] = json::object{{"id", std::to_string(device.id.value())},
                                         {"name", device.name},
                                         {"serial", device.serial},
                                         {"source", device.source},
                                         {"model", device.model},
                                         {"firmware", device.firmware}};
        auto inverter = domain::InverterOf(store_, scope, device.id);
        if (!inverter) {
            if (inverter.error().code != Errc::kFailedPrecondition) return inverter.error();
            context["no_data"] = true;
            context["public_url"] = options_.public_url;
            context["collector_address"] = options_.collector_address;
            return context;
        }
        const TimeZone zone = zone_of(scope);
        const domain::InverterFigures figures(engine_, scope, zone);
        MH_ASSIGN_OR_RETURN(auto today, figures.Today(*inverter));
        context["figures"] = FiguresView(today, *call.texts, zone);
        json::array live_series{std::to_string(inverter->power->value())};
        json::array channels;
        for (const auto& channel : inverter->channels) {
            json::object card{{"number", channel.channel}};
            for (const auto& [field, series] : channel.by_field) {
                auto latest = engine_.Latest(scope, series);
                if (!latest || !*latest) continue;
                const double v = (*latest)->value;
                if (field == "power") card["power"] = FormatPower(v, *call.texts);
                if (field == "voltage") card["voltage"] = FormatNumber(v, 1, *call.texts) + " V";
                if (field == "current") card["current"] = FormatNumber(v, 2, *call.texts) + " A";
                if (field == "energy_today") card["energy_today"] = FormatEnergy(v, *call.texts);
                if (field == "power") card["power_series"] = std::to_string(series.value());
                live_series.emplace_back(std::to_string(series.value()));
            }
            channels.push_back(std::move(card));
        }
        context["channels"] = std::move(channels);
        context["live_series"] = json::serialize(live_series);
        context["power_series"] = std::to_string(inverter->power->value());
        context["ranges"] = json::array{"1h", "6h", "24h", "7d", "30d", "1y"};
        return context;
    };

    // The list, with what each device is and whether it has sent anything.
    Add(Method::kGet, "/t/{tenant}/inverters", Access::kUser, [this](Call& call) {
        auto scope = ScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        auto devices = store_.devices().ListDevices(*scope);
        if (!devices) return ErrorPage(call, devices.error());
        json::object context = TenantContext(call, *scope, "inverters");
        context["title"] = call.texts->Text("inverters_title");
        json::array list;
        for (const auto& device : *devices) {
            list.push_back(json::object{{"id", std::to_string(device.id.value())},
                                        {"name", device.name},
                                        {"source", device.source},
                                        {"serial", device.serial},
                                        {"model", device.model},
                                        {"firmware", device.firmware}});
        }
        context["devices"] = std::move(list);
        return Render(call, "inverters", std::move(context));
    });

    auto form_page = [this](Call& call, const TenantScope& scope, json::object values, bool is_new) {
        json::object context = TenantContext(call, scope, "inverters");
        context["title"] = call.texts->Text(is_new ? "inverter_add_title" : "inverter_edit_title");
        context["sources"] = SourceOptions(values["source"].is_string() ? values["source"].get_string() : "solarman");
        context["values"] = std::move(values);
        context["is_new"] = is_new;
        return context;
    };

    Add(Method::kGet, "/t/{tenant}/inverters/new", Access::kUser, [this, form_page](Call& call) {
        auto scope = WriteScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        return Render(call, "inverter_form", form_page(call, *scope, json::object{{"source", "solarman"}}, true));
    });

    Add(Method::kPost, "/t/{tenant}/inverters/new", Access::kUser, [this, form_page](Call& call) {
        auto scope = WriteScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        auto create = [&]() -> Result<store::Device> {
            MH_ASSIGN_OR_RETURN(auto fields, DeviceFieldsOf(call.form, true));
            if (!fields.update.name || fields.update.name->empty()) {
                return MakeError(Errc::kInvalidArgument, "name: " + std::string(call.texts->Text("field_required")));
            }
            return devices_.Create(*scope, fields.ToNewDevice("solarman"));
        };
        auto device = create();
        if (!device) {
            json::object context = form_page(call, *scope, DeviceFormValues(call.form), true);
            AddFormError(context, device.error());
            return Render(call, "inverter_form", std::move(context), StatusFor(device.error()));
        }
        return Redirect(call, "/t/" + call.params.at("tenant") + "/inverters/" + std::to_string(device->id.value()));
    });

    Add(Method::kGet, "/t/{tenant}/inverters/{device}/edit", Access::kUser, [this, form_page](Call& call) {
        auto scope = WriteScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        const auto id = DeviceParam(call.params);
        auto device =
            id ? store_.devices().GetDevice(*scope, *id) : Result<store::Device>(MakeError(Errc::kNotFound, "no such inverter"));
        if (!device) return ErrorPage(call, device.error());
        json::object values{{"id", std::to_string(device->id.value())},
                            {"name", device->name},
                            {"source", device->source},
                            {"serial", device->serial},
                            {"model", device->model},
                            {"poll_address", device->poll_address}};
        if (device->rated_power_w) values["rated_power_w"] = api::JsonNumber(*device->rated_power_w);
        if (device->mppt_count) values["mppt_count"] = std::to_string(*device->mppt_count);
        return Render(call, "inverter_form", form_page(call, *scope, std::move(values), false));
    });

    Add(Method::kPost, "/t/{tenant}/inverters/{device}/edit", Access::kUser, [this, form_page](Call& call) {
        auto scope = WriteScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        const auto id = DeviceParam(call.params);
        if (!id) return ErrorPage(call, 404, call.texts->Text("error_not_found"));
        auto fields = DeviceFieldsOf(call.form, false);
        Status status = fields ? devices_.Update(*scope, *id, fields->update) : Status(fields.error());
        if (!status) {
            json::object values = DeviceFormValues(call.form);
            values["id"] = call.params.at("device");
            json::object context = form_page(call, *scope, std::move(values), false);
            AddFormError(context, status.error());
            return Render(call, "inverter_form", std::move(context), StatusFor(status.error()));
        }
        return Redirect(call, "/t/" + call.params.at("tenant") + "/inverters/" + call.params.at("device"));
    });

    Add(Method::kPost, "/t/{tenant}/inverters/{device}/delete", Access::kUser, [this](Call& call) {
        auto scope = WriteScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        const auto id = DeviceParam(call.params);
        if (!id) return ErrorPage(call, 404, call.texts->Text("error_not_found"));
        if (auto status = devices_.Delete(*scope, *id); !status) return ErrorPage(call, status.error());
        return Redirect(call, "/t/" + call.params.at("tenant") + "/inverters");
    });

    // After .../inverters/new: the router takes the first pattern that matches.
    Add(Method::kGet, "/t/{tenant}/inverters/{device}", Access::kUser, [this, dashboard_context](Call& call) {
        auto scope = ScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        auto context = dashboard_context(call, *scope);
        if (!context) return ErrorPage(call, context.error());
        return Render(call, "dashboard", std::move(*context));
    });
    Add(Method::kGet, "/t/{tenant}/inverters/{device}/live", Access::kUser, [this, dashboard_context](Call& call) {
        auto scope = ScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        auto context = dashboard_context(call, *scope);
        if (!context) return ErrorPage(call, context.error());
        return Render(call, "dashboard_figures", std::move(*context));
    });

    // Unclaimed devices seen from the caller's address (logger and browser behind one router), and claiming.
    Add(Method::kGet, "/t/{tenant}/unclaimed", Access::kUser, [this](Call& call) {
        auto scope = WriteScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        auto waiting = store_.devices().ListUnclaimed();
        if (!waiting) return ErrorPage(call, waiting.error());
        json::object context = TenantContext(call, *scope, "unclaimed");
        context["title"] = call.texts->Text("unclaimed_title");
        json::array list;
        for (const auto& d : *waiting) {
            if (d.remote_address != call.request.remote_address && !call.user->system_admin) continue;
            list.push_back(json::object{
                {"source", d.source},
                {"serial", d.serial},
                {"frames", d.frames},
                {"last_seen", FormatAge((clock_.Now() - d.last_seen) / std::chrono::seconds(1), *call.texts)},
                {"details", d.details}});
        }
        context["devices"] = std::move(list);
        context["collector_address"] = options_.collector_address;
        return Render(call, "unclaimed", std::move(context));
    });

    Add(Method::kPost, "/t/{tenant}/unclaimed/claim", Access::kUser, [this](Call& call) {
        auto scope = WriteScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        const std::string source = call.form.Get("source");
        auto device = devices_.Claim(*scope, call.form.Get("serial"),
                                         source.empty() ? std::nullopt : std::optional<std::string_view>(source),
                                         call.form.Get("name"));
        if (!device) return ErrorPage(call, device.error());
        return Redirect(call, "/t/" + call.params.at("tenant") + "/inverters/" + std::to_string(device->id.value()));
    });
}

}  // namespace mh::web
