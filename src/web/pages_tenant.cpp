// A tenant's pages besides the inverters: device API keys, members and roles, the CSV export form, and the
// live event stream that open dashboards listen to.
#include <boost/json.hpp>
#include <charconv>

#include "domain/api_keys.hpp"
#include "web/format.hpp"
#include "web/site.hpp"

namespace mh::web {

namespace json = boost::json;

void Site::AddTenantPages() {
    using net::Method;

    // The first tenant of the user, or a page that says they have none.
    Add(Method::kGet, "/", Access::kUser, [this](Call& call) {
        auto memberships = store_.users().MembershipsOf(call.user->id);
        if (!memberships) return ErrorPage(call, memberships.error());
        if (!memberships->empty()) {
            return Redirect(call, "/t/" + std::to_string(memberships->front().tenant.id.value()));
        }
        if (call.user->system_admin) return Redirect(call, "/admin");
        return Render(
            call, "message",
            json::object{{"title", call.texts->Text("home_title")}, {"message", call.texts->Text("home_no_tenant")}});
    });

    auto keys_page = [this](Call& call, const TenantScope& scope, json::object extra, int status) {
        json::object context = TenantContext(call, scope, "keys");
        for (auto& [k, v] : extra) context[k] = v;
        context["title"] = call.texts->Text("keys_title");
        auto keys = store_.auth().ListApiKeys(scope);
        if (!keys) return ErrorPage(call, keys.error());
        json::array list;
        for (const auto& key : *keys) {
            list.push_back(json::object{
                {"id", std::to_string(key.id)},
                {"name", key.name},
                {"prefix", key.prefix},
                {"created", FormatAge((clock_.Now() - key.created_at) / std::chrono::seconds(1), *call.texts)},
                {"revoked", key.revoked_at.has_value()}});
        }
        context["keys"] = std::move(list);
        context["public_url"] = options_.public_url;
        return Render(call, "keys", std::move(context), status);
    };

    Add(Method::kGet, "/t/{tenant}/keys", Access::kUser, [this, keys_page](Call& call) {
        auto scope = WriteScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        return keys_page(call, *scope, {}, 200);
    });

    Add(Method::kPost, "/t/{tenant}/keys", Access::kUser, [this, keys_page](Call& call) {
        auto scope = WriteScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        const std::string name = call.form.Get("name");
        if (name.empty() || name.size() > 128) {
            return keys_page(call, *scope, {{"errors", json::object{{"name", call.texts->Text("keys_name_invalid")}}}},
                             422);
        }
        const auto generated = domain::GenerateApiKey();
        auto key = store_.auth().CreateApiKey(*scope, name, generated.prefix, generated.secret_hash);
        if (!key) return ErrorPage(call, key.error());
        return keys_page(call, *scope, {{"new_key", generated.plaintext}, {"new_key_name", name}}, 201);
    });

    Add(Method::kPost, "/t/{tenant}/keys/{key}/revoke", Access::kUser, [this](Call& call) {
        auto scope = WriteScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        const auto id = ParseInteger(call.params.at("key"));
        if (!id) return ErrorPage(call, 404, call.texts->Text("error_not_found"));
        if (auto status = store_.auth().RevokeApiKey(*scope, *id); !status) return ErrorPage(call, status.error());
        if (options_.api_keys_changed) options_.api_keys_changed();
        return Redirect(call, "/t/" + call.params.at("tenant") + "/keys");
    });

    auto members_page = [this](Call& call, const TenantScope& scope, json::object extra, int status) {
        json::object context = TenantContext(call, scope, "members");
        for (auto& [k, v] : extra) context[k] = v;
        context["title"] = call.texts->Text("members_title");
        auto members = store_.users().ListMembers(scope);
        if (!members) return ErrorPage(call, members.error());
        json::array list;
        for (const auto& member : *members) {
            json::array roles;
            for (const Role role : {Role::kViewer, Role::kAdmin, Role::kOwner}) {
                roles.push_back(json::object{{"value", RoleName(role)},
                                             {"label", call.texts->Text(std::string("role_") + RoleName(role))},
                                             {"selected", role == member.role}});
            }
            list.push_back(json::object{{"id", std::to_string(member.user.value())},
                                        {"email", member.email},
                                        {"role", call.texts->Text(std::string("role_") + RoleName(member.role))},
                                        {"roles", std::move(roles)},
                                        {"is_me", member.user == call.user->id}});
        }
        context["members"] = std::move(list);
        return Render(call, "members", std::move(context), status);
    };

    Add(Method::kGet, "/t/{tenant}/members", Access::kUser, [this, members_page](Call& call) {
        auto scope = ScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        return members_page(call, *scope, {}, 200);
    });

    Add(Method::kPost, "/t/{tenant}/members", Access::kUser, [this, members_page](Call& call) {
        auto scope = ScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        if (scope->role() != Role::kOwner) return ErrorPage(call, 403, call.texts->Text("error_owner_only"));
        const std::string email = call.form.Get("email");
        Role role = Role::kViewer;
        if (!ParseRole(call.form.Get("role"), role)) {
            return members_page(call, *scope, {{"errors", json::object{{"role", "?"}}}}, 422);
        }
        auto user = store_.users().FindUserByEmail(email);
        if (!user) {
            return members_page(
                call, *scope,
                {{"email", email}, {"errors", json::object{{"email", call.texts->Text("members_unknown_email")}}}},
                422);
        }
        if (auto status = store_.users().SetMember(scope->tenant(), user->id, role); !status) {
            return ErrorPage(call, status.error());
        }
        return Redirect(call, "/t/" + call.params.at("tenant") + "/members");
    });

    Add(Method::kPost, "/t/{tenant}/members/{user}/remove", Access::kUser, [this](Call& call) {
        auto scope = ScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        if (scope->role() != Role::kOwner) return ErrorPage(call, 403, call.texts->Text("error_owner_only"));
        const auto id = ParseInteger(call.params.at("user"));
        if (!id) return ErrorPage(call, 404, call.texts->Text("error_not_found"));
        if (UserId{*id} == call.user->id) return ErrorPage(call, 409, call.texts->Text("members_not_yourself"));
        if (auto status = store_.users().RemoveMember(*scope, UserId{*id}); !status) return ErrorPage(call, status.error());
        return Redirect(call, "/t/" + call.params.at("tenant") + "/members");
    });

    Add(Method::kGet, "/t/{tenant}/export", Access::kUser, [this](Call& call) {
        auto scope = ScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        json::object context = TenantContext(call, *scope, "export");
        context["title"] = call.texts->Text("export_title");
        auto devices = store_.devices().ListDevices(*scope);
        if (!devices) return ErrorPage(call, devices.error());
        json::array list;
        for (const auto& device : *devices) {
            list.push_back(json::object{{"id", std::to_string(device.id.value())}, {"name", device.name}});
        }
        context["devices"] = std::move(list);
        context["today"] = TimeZone::Utc().Format(clock_.Now(), "%F");
        return Render(call, "export", std::move(context));
    });

    // Server-sent events: the tenant's newly committed samples, for the open dashboards.
    Add(Method::kGet, "/t/{tenant}/events", Access::kUser, [this](Call& call) {
        auto scope = ScopeFor(call);
        if (!scope) return ErrorPage(call, scope.error());
        auto stream = live_.Subscribe(scope->tenant());
        if (!stream) return net::Response::Text(503, "too many live connections; reload later\n");
        net::Response response;
        response.Set("content-type", "text/event-stream");
        response.Set("cache-control", "no-store");
        response.Set("x-accel-buffering", "no");
        response.async_stream = std::move(stream);
        return response;
    });
}

}  // namespace mh::web
