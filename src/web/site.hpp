// Site: the server-rendered web UI (templates + htmx + uPlot), as one net::Handler beside the REST API.
//
// Pages authenticate by the browser session cookie that the login page sets; every state-changing form
// carries the session's CSRF token (a double-submit cookie before login); every tenant page checks the
// user's membership and role server-side. Templates escape every value (web/template.hpp). Texts come from
// the user's language's catalog. Live figures come from /t/{tenant}/events (server-sent events, LiveHub).
// See docs/web.md.
//
// Thread-safe: Handle() runs concurrently on the server's worker threads.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/router.hpp"
#include "core/clock.hpp"
#include "domain/accounts.hpp"
#include "domain/login_limits.hpp"
#include "net/http.hpp"
#include "domain/devices.hpp"
#include "store/database.hpp"
#include "tsdb/engine.hpp"
#include "web/assets.hpp"
#include "web/catalog.hpp"
#include "web/form.hpp"
#include "web/live_hub.hpp"
#include "web/template.hpp"

namespace mh::web {

struct SiteOptions {
    std::chrono::seconds session_lifetime{2 * 24 * 3600};
    bool cookie_secure = false;
    std::string public_url = "http://localhost:8080";
    std::shared_ptr<domain::LoginLimits> login_limits;  // shared with the API (required; see LoginLimits)
    std::string collector_address;                      // "host:port" of the Solarman collector, for the empty states
    std::function<void()> api_keys_changed;             // tells the API's key cache that a key was revoked
};

class Site final : public net::Handler {
  public:
    Site(store::Repositories store, tsdb::Engine& engine, domain::Devices& devices, const Clock& clock, domain::SendMail mail, LiveHub& live,
         SiteOptions options);
    ~Site() override;

    // Whether a path is the site's (everything but /api/, /healthz, /readyz, /metrics and the compat routes).
    static bool Owns(std::string_view path);

    void Handle(net::Request request, net::Reply reply) override;

    const Assets& assets() const { return assets_; }

    // What a page handler sees.
    struct Call {
        const net::Request& request;
        api::Params params;
        std::optional<store::User> user;
        std::string csrf;          // the session's token, or the pre-login cookie's
        std::string session_hash;  // empty when not logged in
        const Catalog* texts = nullptr;
        Form form;                                                 // a POST's fields
        std::vector<std::pair<std::string, std::string>> headers;  // extra response headers (cookies)
    };
    using PageHandler = std::function<net::Response(Call&)>;

  private:
    enum class Access { kPublic, kUser, kAdmin };
    struct Route {
        Access access;
        PageHandler handler;
    };
    void Add(net::Method method, std::string_view pattern, Access access, PageHandler handler);
    void AddAccountPages();
    void AddAuthPages();
    void AddTenantPages();
    void AddInverterPages();
    void AddAdminPages();

    net::Response Dispatch(Call& call, const Route& route);
    void Authenticate(Call& call);

  public:  // helpers for the page files
    // The page rendered in the layout, with the base context (user, texts, CSRF token, assets, navigation).
    net::Response Render(Call& call, std::string_view page, boost::json::object context, int status = 200);
    // 303 to `to`, or for htmx requests 200 with HX-Redirect.
    net::Response Redirect(Call& call, std::string to);
    net::Response ErrorPage(Call& call, int status, std::string_view message);
    net::Response ErrorPage(Call& call, const Error& error);
    // The tenant of the route's {tenant} with the user's role; kNotFound when the user is no member.
    Result<TenantScope> ScopeFor(const Call& call);
    Result<TenantScope> WriteScopeFor(const Call& call);
    boost::json::object TenantContext(const Call& call, const TenantScope& scope, std::string_view section);
    // An error as the form shows it: {"errors": {"<field>": "..."}} when the message names a field
    // ("email: is not an e-mail address"), else {"error": "..."}; merged into `context`.
    static void AddFormError(boost::json::object& context, const Error& error);
    static int StatusFor(const Error& error);
    // The 429 of a rate limiter as a sentence for the form.
    std::string TooManyAttempts(const Call& call, std::int64_t retry_after_s) const;

    store::Repositories store_;
    domain::Devices& devices_;
    tsdb::Engine& engine_;
    const Clock& clock_;
    domain::Accounts accounts_;
    LiveHub& live_;
    SiteOptions options_;
    Assets assets_;
    TemplateSet templates_;
    Catalogs catalogs_;
    domain::LoginLimits& login_limits_;
    api::Router<Route> router_;
};

}  // namespace mh::web
