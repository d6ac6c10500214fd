// Tenants, members, devices, series and API keys.
#include "api/api.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "core/time_zone.hpp"
#include "domain/api_keys.hpp"
#include "domain/devices.hpp"

namespace mh::api {

void Api::AddTenantRoutes() {
    using net::Method;

    Add(Method::kGet, "/api/v1/tenants", Auth::kUser, "Tenants the caller belongs to (all, for administrators)",
        [this](std::shared_ptr<Call> call) {
            json::array out;
            if (call->caller.user->system_admin) {
                auto tenants = store_.tenants().ListTenants();
                if (!tenants) return Fail(call, tenants.error());
                for (const auto& t : *tenants) out.push_back(View(t));
            } else {
                auto memberships = store_.users().MembershipsOf(call->caller.user->id);
                if (!memberships) return Fail(call, memberships.error());
                for (const auto& m : *memberships) out.push_back(View(m.tenant));
            }
            Finish(call, JsonResponse(200, json::object{{"tenants", std::move(out)}}));
        });

    Add(Method::kPost, "/api/v1/tenants", Auth::kAdmin, "Create a tenant (system administrators)",
        [this](std::shared_ptr<Call> call) {
            auto body = ParseObject(call->request.body);
            if (!body) return Fail(call, body.error());
            auto name = RequiredString(*body, "name", 128);
            auto zone = OptionalString(*body, "time_zone", 64);
            auto retention = OptionalInt(*body, "raw_retention_days");
            if (!name) return Fail(call, name.error());
            if (!zone) return Fail(call, zone.error());
            if (!retention) return Fail(call, retention.error());
            const std::string tz = zone->value_or("UTC");
            if (auto found = TimeZone::Find(tz); !found) {
                return Fail(call, MakeError(Errc::kInvalidArgument, "time_zone: " + found.error().message));
            }
            const std::int64_t days = retention->value_or(730);
            if (days < 1)
                return Fail(call, MakeError(Errc::kInvalidArgument, "raw_retention_days: must be at least 1"));
            auto tenant = store_.tenants().CreateTenant({*name, tz, days});
            if (!tenant) return Fail(call, tenant.error());
            Finish(call, JsonResponse(201, View(*tenant)));
        });

    Add(Method::kGet, "/api/v1/tenants/{tenant}", Auth::kUser, "One tenant", [this](std::shared_ptr<Call> call) {
        auto scope = ScopeFor(*call);
        if (!scope) return Fail(call, scope.error());
        auto tenant = store_.tenants().GetTenant(scope->tenant());
        if (!tenant) return Fail(call, tenant.error());
        Finish(call, JsonResponse(200, View(*tenant)));
    });

    Add(Method::kDelete, "/api/v1/tenants/{tenant}", Auth::kAdmin,
        "Delete a tenant and everything it owns (system administrators)", [this](std::shared_ptr<Call> call) {
            auto id = ParseId(call->params.at("tenant"), "tenant");
            if (!id) return Fail(call, id.error());
            if (auto status = store_.tenants().DeleteTenant(TenantId{*id}); !status) return Fail(call, status.error());
            Finish(call, net::Response::Json(200, R"({"deleted":true})"));
        });

    Add(Method::kGet, "/api/v1/tenants/{tenant}/members", Auth::kUser, "Members and their roles",
        [this](std::shared_ptr<Call> call) {
            auto scope = ScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto members = store_.users().ListMembers(*scope);
            if (!members) return Fail(call, members.error());
            json::array out;
            for (const auto& m : *members) {
                out.push_back(json::object{
                    {"user_id", IdString(m.user.value())}, {"email", m.email}, {"role", RoleName(m.role)}});
            }
            Finish(call, JsonResponse(200, json::object{{"members", std::move(out)}}));
        });

    Add(Method::kPut, "/api/v1/tenants/{tenant}/members", Auth::kUser, "Add a member or change their role (owners)",
        [this](std::shared_ptr<Call> call) {
            auto scope = ScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            if (scope->role() != Role::kOwner) {
                return Fail(call, MakeError(Errc::kPermissionDenied, "only owners manage members"));
            }
            auto body = ParseObject(call->request.body);
            if (!body) return Fail(call, body.error());
            auto email = RequiredString(*body, "email");
            auto role_text = RequiredString(*body, "role", 16);
            if (!email) return Fail(call, email.error());
            if (!role_text) return Fail(call, role_text.error());
            Role role = Role::kViewer;
            if (!ParseRole(*role_text, role)) {
                return Fail(call, MakeError(Errc::kInvalidArgument, "role: must be owner, admin or viewer"));
            }
            auto user = store_.users().FindUserByEmail(*email);
            if (!user) return Fail(call, MakeError(Errc::kInvalidArgument, "email: no user has this address"));
            if (auto status = store_.users().SetMember(scope->tenant(), user->id, role); !status)
                return Fail(call, status.error());
            Finish(call, JsonResponse(200, json::object{{"user_id", IdString(user->id.value())},
                                                        {"email", user->email},
                                                        {"role", RoleName(role)}}));
        });

    Add(Method::kDelete, "/api/v1/tenants/{tenant}/members/{user}", Auth::kUser, "Remove a member (owners)",
        [this](std::shared_ptr<Call> call) {
            auto scope = ScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            if (scope->role() != Role::kOwner) {
                return Fail(call, MakeError(Errc::kPermissionDenied, "only owners manage members"));
            }
            auto user = ParseId(call->params.at("user"), "member");
            if (!user) return Fail(call, user.error());
            if (auto status = store_.users().RemoveMember(*scope, UserId{*user}); !status) return Fail(call, status.error());
            Finish(call, net::Response::Json(200, R"({"deleted":true})"));
        });

    Add(Method::kGet, "/api/v1/tenants/{tenant}/api-keys", Auth::kUser, "The tenant's device API keys",
        [this](std::shared_ptr<Call> call) {
            auto scope = WriteScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto keys = store_.auth().ListApiKeys(*scope);
            if (!keys) return Fail(call, keys.error());
            json::array out;
            for (const auto& k : *keys) out.push_back(View(k));
            Finish(call, JsonResponse(200, json::object{{"api_keys", std::move(out)}}));
        });

    Add(Method::kPost, "/api/v1/tenants/{tenant}/api-keys", Auth::kUser,
        "Create a device API key; the key is shown in this answer only", [this](std::shared_ptr<Call> call) {
            auto scope = WriteScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto body = ParseObject(call->request.body);
            if (!body) return Fail(call, body.error());
            auto name = RequiredString(*body, "name", 128);
            if (!name) return Fail(call, name.error());
            const auto generated = domain::GenerateApiKey();
            auto key = store_.auth().CreateApiKey(*scope, *name, generated.prefix, generated.secret_hash);
            if (!key) return Fail(call, key.error());
            json::object out = View(*key);
            out["key"] = generated.plaintext;
            Finish(call, JsonResponse(201, out));
        });

    Add(Method::kDelete, "/api/v1/tenants/{tenant}/api-keys/{key}", Auth::kUser, "Revoke a device API key",
        [this](std::shared_ptr<Call> call) {
            auto scope = WriteScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto id = ParseId(call->params.at("key"), "API key");
            if (!id) return Fail(call, id.error());
            if (auto status = store_.auth().RevokeApiKey(*scope, *id); !status) return Fail(call, status.error());
            ApiKeysChanged();
            Finish(call, net::Response::Json(200, R"({"revoked":true})"));
        });
}

void Api::AddDeviceRoutes() {
    using net::Method;

    Add(Method::kGet, "/api/v1/tenants/{tenant}/devices", Auth::kUser, "The tenant's devices",
        [this](std::shared_ptr<Call> call) {
            auto scope = ScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto devices = store_.devices().ListDevices(*scope);
            if (!devices) return Fail(call, devices.error());
            json::array out;
            for (const auto& d : *devices) out.push_back(View(d));
            Finish(call, JsonResponse(200, json::object{{"devices", std::move(out)}}));
        });

    Add(Method::kPost, "/api/v1/tenants/{tenant}/devices", Auth::kUser, "Register a device",
        [this](std::shared_ptr<Call> call) {
            auto scope = WriteScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto body = ParseObject(call->request.body);
            if (!body) return Fail(call, body.error());
            auto fields = ParseDeviceFields(*body);
            if (!fields) return Fail(call, fields.error());
            if (!fields->update.name) return Fail(call, MakeError(Errc::kInvalidArgument, "name: is required"));
            auto device = devices_.Create(*scope, fields->ToNewDevice("generic"));
            if (!device) return Fail(call, device.error());
            Finish(call, JsonResponse(201, View(*device)));
        });

    Add(Method::kGet, "/api/v1/unclaimed-devices", Auth::kAdmin,
        "Devices that sent data no tenant registered (system administrators)", [this](std::shared_ptr<Call> call) {
            auto waiting = store_.devices().ListUnclaimed();
            if (!waiting) return Fail(call, waiting.error());
            json::array out;
            for (const auto& d : *waiting) out.push_back(View(d));
            Finish(call, JsonResponse(200, json::object{{"devices", std::move(out)}}));
        });

    // A household sees the unclaimed devices that reach this server from its own address (logger and browser
    // behind the same router), not everyone's.
    Add(Method::kGet, "/api/v1/tenants/{tenant}/unclaimed-devices", Auth::kUser,
        "Unclaimed devices connecting from the caller's address (tenant admins)", [this](std::shared_ptr<Call> call) {
            auto scope = WriteScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto waiting = store_.devices().ListUnclaimed();
            if (!waiting) return Fail(call, waiting.error());
            json::array out;
            for (const auto& d : *waiting) {
                if (d.remote_address == call->request.remote_address) out.push_back(View(d));
            }
            Finish(call, JsonResponse(200, json::object{{"devices", std::move(out)}}));
        });

    Add(Method::kPost, "/api/v1/tenants/{tenant}/devices/claim", Auth::kUser,
        "Claim an unclaimed device by its serial (JSON serial, optional source and name)",
        [this](std::shared_ptr<Call> call) {
            auto scope = WriteScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto body = ParseObject(call->request.body);
            if (!body) return Fail(call, body.error());
            auto serial = RequiredString(*body, "serial", 64);
            auto source = OptionalString(*body, "source", 32);
            auto name = OptionalString(*body, "name", 128);
            if (!serial) return Fail(call, serial.error());
            for (const auto* r : {&source, &name}) {
                if (!*r) return Fail(call, r->error());
            }
            std::optional<std::string_view> wanted_source;
            if (*source) wanted_source = **source;
            auto device = devices_.Claim(*scope, *serial, wanted_source, name->value_or(""));
            if (!device) return Fail(call, device.error());
            Finish(call, JsonResponse(201, View(*device)));
        });

    Add(Method::kGet, "/api/v1/tenants/{tenant}/devices/{device}", Auth::kUser, "One device with its series",
        [this](std::shared_ptr<Call> call) {
            auto scope = ScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto id = ParseId(call->params.at("device"), "device");
            if (!id) return Fail(call, id.error());
            auto device = store_.devices().GetDevice(*scope, DeviceId{*id});
            if (!device) return Fail(call, device.error());
            auto series = store_.devices().ListSeries(*scope, device->id);
            if (!series) return Fail(call, series.error());
            json::object out = View(*device);
            json::array list;
            for (const auto& s : *series) list.push_back(View(s));
            out["series"] = std::move(list);
            Finish(call, JsonResponse(200, out));
        });

    Add(Method::kPatch, "/api/v1/tenants/{tenant}/devices/{device}", Auth::kUser,
        "Edit a device: name, serial, model, poll_address, rated_power_w, mppt_count (the source stays)",
        [this](std::shared_ptr<Call> call) {
            auto scope = WriteScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto id = ParseId(call->params.at("device"), "device");
            if (!id) return Fail(call, id.error());
            auto body = ParseObject(call->request.body);
            if (!body) return Fail(call, body.error());
            auto fields = ParseDeviceFields(*body);
            if (!fields) return Fail(call, fields.error());
            if (fields->source) {
                return Fail(call, MakeError(Errc::kInvalidArgument, "source: cannot change; delete and re-add the device"));
            }
            if (auto status = devices_.Update(*scope, DeviceId{*id}, fields->update); !status) {
                return Fail(call, status.error());
            }
            auto device = store_.devices().GetDevice(*scope, DeviceId{*id});
            if (!device) return Fail(call, device.error());
            Finish(call, JsonResponse(200, View(*device)));
        });

    Add(Method::kDelete, "/api/v1/tenants/{tenant}/devices/{device}", Auth::kUser,
        "Delete a device with its series and samples", [this](std::shared_ptr<Call> call) {
            auto scope = WriteScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto id = ParseId(call->params.at("device"), "device");
            if (!id) return Fail(call, id.error());
            if (auto status = devices_.Delete(*scope, DeviceId{*id}); !status) return Fail(call, status.error());
            Finish(call, net::Response::Json(200, R"({"deleted":true})"));
        });

    Add(Method::kGet, "/api/v1/tenants/{tenant}/series", Auth::kUser, "The tenant's series (?device= to filter)",
        [this](std::shared_ptr<Call> call) {
            auto scope = ScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            std::optional<DeviceId> device;
            if (auto param = call->request.Param("device")) {
                auto id = ParseId(*param, "device");
                if (!id) return Fail(call, id.error());
                device = DeviceId{*id};
            }
            auto series = store_.devices().ListSeries(*scope, device);
            if (!series) return Fail(call, series.error());
            json::array out;
            for (const auto& s : *series) out.push_back(View(s));
            Finish(call, JsonResponse(200, json::object{{"series", std::move(out)}}));
        });

    Add(Method::kPost, "/api/v1/tenants/{tenant}/series", Auth::kUser,
        "Create a series of a device (or return the existing one)", [this](std::shared_ptr<Call> call) {
            auto scope = WriteScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto body = ParseObject(call->request.body);
            if (!body) return Fail(call, body.error());
            auto device = RequiredId(*body, "device");
            auto metric = RequiredString(*body, "metric", 128);
            auto unit = OptionalString(*body, "unit", 32);
            auto kind_text = OptionalString(*body, "kind", 16);
            if (!device) return Fail(call, device.error());
            if (!metric) return Fail(call, metric.error());
            if (!unit) return Fail(call, unit.error());
            if (!kind_text) return Fail(call, kind_text.error());
            const auto kind = store::ParseSeriesKind(kind_text->value_or("gauge"));
            if (!kind) return Fail(call, MakeError(Errc::kInvalidArgument, "kind: must be gauge or counter"));
            auto series = store_.devices().EnsureSeries(*scope, {DeviceId{*device}, *metric, unit->value_or(""), *kind});
            if (!series) return Fail(call, series.error());
            Finish(call, JsonResponse(201, View(*series)));
        });
}

}  // namespace mh::api
