#include "web/site.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <charconv>
#include <stdexcept>

#include "api/errors.hpp"
#include "domain/access.hpp"
#include "domain/secrets.hpp"

namespace mh::web {

namespace json = boost::json;

namespace {

constexpr std::string_view kSessionCookie = "mh_session";
constexpr std::string_view kFormCookie = "mh_csrf";  // the double-submit token of forms before login

std::optional<std::string> Cookie(const net::Request& request, std::string_view name) {
    const auto header = request.Header("cookie");
    if (!header) return std::nullopt;
    std::string_view rest = *header;
    while (!rest.empty()) {
        const auto end = rest.find(';');
        auto part = rest.substr(0, end);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        if (part.size() > name.size() && part.starts_with(name) && part[name.size()] == '=') {
            return std::string(part.substr(name.size() + 1));
        }
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + 1);
    }
    return std::nullopt;
}

domain::LoginLimits& Required(const std::shared_ptr<domain::LoginLimits>& limits) {
    if (!limits) throw std::invalid_argument("SiteOptions::login_limits is required (shared with the API)");
    return *limits;
}

bool SameSecret(std::string_view a, std::string_view b) {
    return !a.empty() && a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Site::Site(store::Repositories store, tsdb::Engine& engine, domain::Devices& devices, const Clock& clock, domain::SendMail mail, LiveHub& live,
           SiteOptions options)
    : store_(store),
      devices_(devices),
      engine_(engine),
      clock_(clock),
      accounts_(store, clock, std::move(mail), options.public_url),
      live_(live),
      options_(std::move(options)),
      templates_(TemplateSet::LoadEmbedded().value()),
      catalogs_(Catalogs::LoadEmbedded().value()),
      login_limits_(Required(options_.login_limits)) {
    Add(net::Method::kGet, "/static/{file}", Access::kPublic,
        [this](Call& call) { return assets_.Serve(call.request, call.params.at("file")); });
    Add(net::Method::kGet, "/static/vendor/{file}", Access::kPublic,
        [this](Call& call) { return assets_.Serve(call.request, "vendor/" + call.params.at("file")); });
    AddAuthPages();
    AddAccountPages();
    AddTenantPages();
    AddInverterPages();
    AddAdminPages();
}

Site::~Site() = default;

bool Site::Owns(std::string_view path) {
    for (std::string_view prefix : {"/api/", "/inverter_metadata/"}) {
        if (path.starts_with(prefix)) return false;
    }
    return path != "/healthz" && path != "/readyz" && path != "/metrics" && path != "/api";
}

void Site::Add(net::Method method, std::string_view pattern, Access access, PageHandler handler) {
    router_.Add(method, pattern, Route{access, std::move(handler)});
}

void Site::Handle(net::Request request, net::Reply reply) {
    Call call{request, {}, std::nullopt, "", "", nullptr, {}, {}};
    net::Response response;
    try {
        auto match = router_.Find(request.method, request.path);
        Authenticate(call);
        if (match.target == nullptr) {
            response = ErrorPage(
                call, match.allowed.empty() ? 404 : 405,
                match.allowed.empty() ? call.texts->Text("error_not_found") : call.texts->Text("error_method"));
        } else {
            call.params = std::move(match.params);
            response = Dispatch(call, *match.target);
        }
    } catch (const std::exception& e) {
        spdlog::error("web: {} {} failed: {}", net::MethodName(request.method), request.path, e.what());
        response = net::Response::Text(500, "internal error\n");
    }
    for (auto& header : call.headers) response.headers.push_back(std::move(header));
    reply(std::move(response));
}

// The session cookie's user, their CSRF token and language; before login a form token cookie.
void Site::Authenticate(Call& call) {
    call.texts = &catalogs_.ForAcceptLanguage(call.request.Header("accept-language").value_or(""));
    if (const auto cookie = Cookie(call.request, kSessionCookie); cookie && cookie->size() <= 128) {
        const std::string hash = domain::Sha256Hex(*cookie);
        if (auto session = store_.auth().FindSession(hash, clock_.Now())) {
            if (auto user = store_.users().GetUser(session->user)) {
                call.user = std::move(*user);
                call.csrf = session->csrf_token;
                call.session_hash = hash;
                if (!call.user->language.empty()) call.texts = &catalogs_.For(call.user->language);
                return;
            }
        }
    }
    if (const auto token = Cookie(call.request, kFormCookie); token && token->size() == 32) {
        call.csrf = *token;
    } else {
        call.csrf = domain::RandomHex(16);
        call.headers.emplace_back("set-cookie", std::string(kFormCookie) + "=" + call.csrf +
                                                    "; Path=/; HttpOnly; SameSite=Strict" +
                                                    (options_.cookie_secure ? "; Secure" : ""));
    }
}

net::Response Site::Dispatch(Call& call, const Route& route) {
    if (route.access != Access::kPublic && !call.user) {
        const bool get = call.request.method == net::Method::kGet;
        return Redirect(call, get ? "/login?next=" + UrlEncode(call.request.target) : "/login");
    }
    if (route.access == Access::kAdmin && !call.user->system_admin) {
        return ErrorPage(call, 403, call.texts->Text("error_admin_only"));
    }
    if (call.request.method == net::Method::kPost) {
        const auto type = call.request.Header("content-type").value_or("");
        if (!type.starts_with("application/x-www-form-urlencoded")) {
            return ErrorPage(call, 415, call.texts->Text("error_form_type"));
        }
        auto form = Form::Parse(call.request.body);
        if (!form) return ErrorPage(call, 400, form.error().message);
        call.form = std::move(*form);
        const std::string presented =
            call.form.Find("_csrf").value_or(std::string(call.request.Header("x-csrf-token").value_or("")));
        if (!SameSecret(presented, call.csrf)) return ErrorPage(call, 403, call.texts->Text("error_csrf"));
    }
    return route.handler(call);
}

net::Response Site::Render(Call& call, std::string_view page, json::object context, int status) {
    context["lang"] = call.texts->language();
    context["csrf"] = call.csrf;
    if (call.user) {
        context["user"] =
            json::object{{"email", call.user->email},
                         {"name", call.user->display_name.empty() ? call.user->email : call.user->display_name},
                         {"admin", call.user->system_admin}};
    }
    context["assets"] = json::object{{"pico", assets_.Url("vendor/pico.min.css")},
                                     {"uplot_css", assets_.Url("vendor/uPlot.min.css")},
                                     {"app_css", assets_.Url("app.css")},
                                     {"htmx", assets_.Url("vendor/htmx.min.js")},
                                     {"uplot", assets_.Url("vendor/uPlot.iife.min.js")},
                                     {"app_js", assets_.Url("app.js")}};
    net::Response response =
        net::Response::Text(status, templates_.Render(page, context, *call.texts), "text/html; charset=utf-8");
    response.Set("cache-control", "no-store");
    response.Set("x-frame-options", "DENY");
    response.Set("x-content-type-options", "nosniff");
    response.Set("referrer-policy", "same-origin");
    response.Set("content-security-policy",
                 "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                 "connect-src 'self'; frame-ancestors 'none'; form-action 'self'");
    return response;
}

net::Response Site::Redirect(Call& call, std::string to) {
    net::Response response;
    if (call.request.Header("hx-request")) {
        response.status = 200;
        response.Set("hx-redirect", std::move(to));
    } else {
        response.status = 303;
        response.Set("location", std::move(to));
    }
    return response;
}

net::Response Site::ErrorPage(Call& call, int status, std::string_view message) {
    return Render(call, "error",
                  json::object{{"title", call.texts->Text("error_title")}, {"status", status}, {"message", message}},
                  status);
}

net::Response Site::ErrorPage(Call& call, const Error& error) {
    return ErrorPage(call, StatusFor(error), error.message);
}

int Site::StatusFor(const Error& error) {
    return api::HttpStatus(error.code);  // the one table the API uses too
}

void Site::AddFormError(json::object& context, const Error& error) {
    const auto colon = error.message.find(": ");
    const std::string field = colon == std::string::npos ? "" : error.message.substr(0, colon);
    const bool named = !field.empty() && field.size() <= 32 &&
                       field.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos;
    if (named) {
        context["errors"] = json::object{{field, error.message.substr(colon + 2)}};
    } else {
        context["error"] = error.message;
    }
}

std::string Site::TooManyAttempts(const Call& call, std::int64_t retry_after_s) const {
    std::string text(call.texts->Text("error_too_many"));
    const auto at = text.find("{s}");
    if (at != std::string::npos) text.replace(at, 3, std::to_string(retry_after_s));
    return text;
}

Result<TenantScope> Site::ScopeFor(const Call& call) {
    const auto id = ParseInteger(call.params.at("tenant"));
    if (!id) return MakeError(Errc::kNotFound, "no such tenant");
    return domain::Access(store_).ForUser(call.user->id, TenantId{*id});
}

Result<TenantScope> Site::WriteScopeFor(const Call& call) {
    MH_ASSIGN_OR_RETURN(auto scope, ScopeFor(call));
    if (!scope.CanWrite()) {
        return MakeError(Errc::kPermissionDenied, std::string(call.texts->Text("error_viewer")));
    }
    return scope;
}

// What every tenant page shows around its content: the tenant, the user's tenants, the section's tab.
json::object Site::TenantContext(const Call& call, const TenantScope& scope, std::string_view section) {
    json::object context;
    const std::string id = std::to_string(scope.tenant().value());
    json::array tenants;
    std::string name;
    if (auto memberships = store_.users().MembershipsOf(call.user->id)) {
        for (const auto& [tenant, role] : *memberships) {
            if (tenant.id == scope.tenant()) name = tenant.name;
            tenants.push_back(json::object{{"id", std::to_string(tenant.id.value())},
                                           {"name", tenant.name},
                                           {"current", tenant.id == scope.tenant()}});
        }
    }
    if (name.empty()) {  // a system administrator visiting a tenant they are no member of
        if (auto tenant = store_.tenants().GetTenant(scope.tenant())) name = tenant->name;
    }
    context["tenant"] = json::object{{"id", id},
                                     {"name", name},
                                     {"role", RoleName(scope.role())},
                                     {"can_write", scope.CanWrite()},
                                     {"is_owner", scope.role() == Role::kOwner}};
    context["tenants"] = std::move(tenants);
    context["section_" + std::string(section)] = true;
    return context;
}

}  // namespace mh::web
