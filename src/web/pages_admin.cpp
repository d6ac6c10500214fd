// Pages for system administrators: system health, tenants (create, delete), users, every device.
#include <boost/json.hpp>
#include <charconv>

#include "domain/access.hpp"
#include "web/format.hpp"
#include "web/site.hpp"

namespace mh::web {

namespace json = boost::json;

void Site::AddAdminPages() {
    using net::Method;

    auto admin_context = [](std::string_view section, std::string_view title) {
        json::object context{{"title", title}};
        context["admin_" + std::string(section)] = true;
        return context;
    };

    Add(Method::kGet, "/admin", Access::kAdmin, [this, admin_context](Call& call) {
        json::object context = admin_context("health", call.texts->Text("admin_health"));
        const auto stats = engine_.stats();
        const auto& t = *call.texts;
        json::array rows;
        auto row = [&](std::string_view key, std::string value) {
            rows.push_back(json::object{{"label", t.Text(key)}, {"value", std::move(value)}});
        };
        row("admin_samples_written", std::to_string(stats.samples_written));
        row("admin_batches_written", std::to_string(stats.batches_written));
        row("admin_queued", std::to_string(stats.queued_samples));
        row("admin_checkpoints", std::to_string(stats.checkpoints) + " / " + std::to_string(stats.checkpoint_failures));
        row("admin_live_streams", std::to_string(live_.subscribers()));
        if (auto tenants = store_.tenants().ListTenants()) row("admin_tenants_count", std::to_string(tenants->size()));
        if (auto users = store_.users().ListUsers()) row("admin_users", std::to_string(users->size()));
        if (auto waiting = store_.devices().ListUnclaimed()) row("admin_unclaimed", std::to_string(waiting->size()));
        context["rows"] = std::move(rows);
        return Render(call, "admin_health", std::move(context));
    });

    auto tenants_page = [this, admin_context](Call& call, json::object extra, int status) {
        json::object context = admin_context("tenants", call.texts->Text("admin_tenants"));
        for (auto& [k, v] : extra) context[k] = v;
        auto tenants = store_.tenants().ListTenants();
        if (!tenants) return ErrorPage(call, tenants.error());
        json::array list;
        for (const auto& tenant : *tenants) {
            const auto scope = domain::Access::ForOperator(tenant.id);
            const auto devices = store_.devices().ListDevices(scope);
            const auto members = store_.users().ListMembers(scope);
            list.push_back(json::object{{"id", std::to_string(tenant.id.value())},
                                        {"name", tenant.name},
                                        {"time_zone", tenant.time_zone},
                                        {"devices", devices ? devices->size() : 0},
                                        {"members", members ? members->size() : 0}});
        }
        context["tenants"] = std::move(list);
        return Render(call, "admin_tenants", std::move(context), status);
    };

    Add(Method::kGet, "/admin/tenants", Access::kAdmin,
        [tenants_page](Call& call) { return tenants_page(call, {}, 200); });

    Add(Method::kPost, "/admin/tenants", Access::kAdmin, [this, tenants_page](Call& call) {
        const std::string name = call.form.Get("name");
        const std::string zone = call.form.Get("time_zone").empty() ? "UTC" : call.form.Get("time_zone");
        json::object values{{"name", name}, {"time_zone", zone}};
        if (name.empty() || name.size() > 128) {
            return tenants_page(
                call, {{"values", values}, {"errors", json::object{{"name", call.texts->Text("field_required")}}}},
                422);
        }
        if (!TimeZone::Find(zone)) {
            return tenants_page(
                call, {{"values", values}, {"errors", json::object{{"time_zone", call.texts->Text("admin_bad_zone")}}}},
                422);
        }
        auto tenant = store_.tenants().CreateTenant({name, zone});
        if (!tenant) {
            json::object extra{{"values", values}};
            AddFormError(extra, Error{tenant.error().code, "name: " + tenant.error().message});
            return tenants_page(call, std::move(extra), StatusFor(tenant.error()));
        }
        if (auto status = store_.users().SetMember(tenant->id, call.user->id, Role::kOwner); !status) {
            return ErrorPage(call, status.error());
        }
        return Redirect(call, "/admin/tenants");
    });

    Add(Method::kPost, "/admin/tenants/{tenant}/delete", Access::kAdmin, [this](Call& call) {
        const auto id = ParseInteger(call.params.at("tenant"));
        if (!id) return ErrorPage(call, 404, "no such tenant");
        if (call.form.Get("confirm") != "yes") return ErrorPage(call, 422, call.texts->Text("admin_confirm"));
        if (auto status = store_.tenants().DeleteTenant(TenantId{*id}); !status) return ErrorPage(call, status.error());
        return Redirect(call, "/admin/tenants");
    });

    Add(Method::kGet, "/admin/users", Access::kAdmin, [this, admin_context](Call& call) {
        json::object context = admin_context("users", call.texts->Text("admin_users"));
        auto users = store_.users().ListUsers();
        if (!users) return ErrorPage(call, users.error());
        json::array list;
        for (const auto& user : *users) {
            list.push_back(json::object{{"email", user.email},
                                        {"name", user.display_name},
                                        {"admin", user.system_admin},
                                        {"verified", user.email_verified},
                                        {"since", TimeZone::Utc().Format(user.created_at, "%F")}});
        }
        context["users"] = std::move(list);
        return Render(call, "admin_users", std::move(context));
    });

    Add(Method::kGet, "/admin/devices", Access::kAdmin, [this, admin_context](Call& call) {
        json::object context = admin_context("devices", call.texts->Text("admin_devices"));
        auto tenants = store_.tenants().ListTenants();
        if (!tenants) return ErrorPage(call, tenants.error());
        json::array list;
        for (const auto& tenant : *tenants) {
            auto devices = store_.devices().ListDevices(domain::Access::ForOperator(tenant.id));
            if (!devices) continue;
            for (const auto& device : *devices) {
                list.push_back(json::object{{"tenant_id", std::to_string(tenant.id.value())},
                                            {"tenant", tenant.name},
                                            {"id", std::to_string(device.id.value())},
                                            {"name", device.name},
                                            {"source", device.source},
                                            {"serial", device.serial},
                                            {"firmware", device.firmware}});
            }
        }
        context["devices"] = std::move(list);
        json::array waiting;
        if (auto unclaimed = store_.devices().ListUnclaimed()) {
            for (const auto& d : *unclaimed) {
                waiting.push_back(json::object{
                    {"source", d.source},
                    {"serial", d.serial},
                    {"frames", d.frames},
                    {"remote", d.remote_address},
                    {"last_seen", FormatAge((clock_.Now() - d.last_seen) / std::chrono::seconds(1), *call.texts)}});
            }
        }
        context["unclaimed"] = std::move(waiting);
        return Render(call, "admin_devices", std::move(context));
    });
}

}  // namespace mh::web
