// Api: the REST API under /api/v1 (and the predecessor's compatible routes), plus /healthz, /readyz and
// /metrics, as one net::Handler. Handlers parse, authenticate, call the domain, store and engine, and
// answer in JSON; errors always in the one shape of api/errors.hpp. See docs/api.md.
//
// Thread-safe: Handle() runs concurrently on the server's worker threads (and on its I/O threads for the
// requests RunsInline() accepts).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/api_key_cache.hpp"
#include "api/ingest_parser.hpp"
#include "api/metrics.hpp"
#include "api/router.hpp"
#include "api/series_name_cache.hpp"
#include "collect/opendtu_inverters.hpp"
#include "core/clock.hpp"
#include "core/tenant_scope.hpp"
#include "core/time_zone.hpp"
#include "domain/accounts.hpp"
#include "domain/inverter_figures.hpp"
#include "domain/jwt.hpp"
#include "domain/login_limits.hpp"
#include "domain/rate_limiter.hpp"
#include "net/http.hpp"
#include "domain/devices.hpp"
#include "store/database.hpp"
#include "tsdb/engine.hpp"

namespace mh::api {

struct ApiOptions {
    std::chrono::seconds token_lifetime{2 * 24 * 3600};
    IngestLimits ingest;
    // Login, sign-up and reset attempts: one budget shared with the web pages (required; see LoginLimits).
    std::shared_ptr<domain::LoginLimits> login_limits;
    std::int64_t requests_per_minute = 1200;           // per bearer token or API key
    std::string public_url = "http://localhost:8080";  // for links in e-mails
    bool cookie_secure = false;                        // mark the session cookie Secure (behind HTTPS)
};

// Outgoing mail; the server logs it when no SMTP server is configured.
using SendMail = domain::SendMail;

// Health of what /readyz checks, supplied by whoever wires the server.
using ReadinessCheck = std::function<Status()>;

class Api final : public net::Handler {
  public:
    Api(store::Repositories store, tsdb::Engine& engine, domain::Devices& devices, const Clock& clock, const domain::JwtIssuer& jwt, SendMail mail,
        ApiOptions options);
    ~Api() override;

    void Handle(net::Request request, net::Reply reply) override;
    // True for the routes that do in-memory work only, when the caller's credentials are cached too: health and
    // sample ingest with a device API key.
    bool RunsInline(const net::Request& request) const override;

    void AddReadinessCheck(std::string name, ReadinessCheck check);
    // Extra lines for /metrics (e.g. the server's connection count).
    void AddMetricsSource(std::function<void(std::string&)> source);

    // The OpenDTU inverters behind POST /api/opendtu/measurements, shared with the MQTT collector.
    collect::OpenDtuInverters& opendtu() { return *opendtu_; }

    // Forget cached device API keys (a key was revoked elsewhere in this process, e.g. on the web pages).
    // API keys were made or revoked here: forget the cached ones, and tell the other instances (the announcer).
    void ApiKeysChanged() {
        api_keys_.Clear();
        if (api_keys_announcer_) api_keys_announcer_();
    }
    // Another instance changed API keys: forget the cached ones.
    void ForgetApiKeys() { api_keys_.Clear(); }
    void SetApiKeysAnnouncer(std::function<void()> announcer) { api_keys_announcer_ = std::move(announcer); }
    // A device was created, edited, claimed or deleted (domain::Devices tells): forget what the caches hold of it.
    void DevicesChanged(const domain::DeviceChange& change);

    // The OpenAPI 3 document of every route.
    std::string OpenApiJson() const;

  private:
    enum class Auth {
        kNone,       // public
        kUser,       // bearer token of a user
        kUserOrKey,  // bearer token, or a tenant's device API key (ingest routes only)
        kAdmin,      // bearer token of a system administrator
    };

    struct Caller {
        std::optional<store::User> user;
        std::optional<store::ApiKey> key;
        std::string token_id;  // the bearer token's id, for logout
        std::int64_t token_expires_s = 0;
        std::string session_hash;  // set when authenticated by the session cookie
    };

    struct Call {
        net::Request request;
        Params params;
        Caller caller;
        net::Reply reply;
        const std::string* route = nullptr;
        std::chrono::steady_clock::time_point started;
        std::vector<std::pair<std::string, std::string>> extra_headers;  // e.g. rate-limit headers
    };

    using Handler = std::function<void(std::shared_ptr<Call>)>;
    // Where a route's handler runs. kInline: it never waits (no database work beyond filling a cache), so the
    // server may run it on the I/O thread; see net::Handler::RunsInline.
    enum class Runs { kOnPool, kInline };
    struct Route {
        Auth auth;
        Handler handler;
        std::string summary;
        Runs runs = Runs::kOnPool;
    };

    void Add(net::Method method, std::string_view pattern, Auth auth, std::string summary, Handler handler,
             Runs runs = Runs::kOnPool);
    void AddOperationsRoutes();
    void AddAuthRoutes();
    void AddTenantRoutes();
    void AddDeviceRoutes();
    void AddSampleRoutes();
    void AddCompatRoutes();
    void AddOpenDtuRoutes();
    void AddInverterRoutes();
    void AddInverterExportRoute();
    void AddQueryRoutes();

    // What every inverter route needs: the scope, the tenant's zone and the figures over them.
    struct InverterContext {
        TenantScope scope;
        TimeZone zone;
        domain::InverterFigures figures;
    };
    Result<InverterContext> InverterContextFor(const Call& call);
    Result<std::pair<std::int64_t, std::int64_t>> FromTo(const Call& call, const TimeZone& zone,
                                                         std::string_view default_from);
    Result<std::pair<std::int64_t, std::int64_t>> RangeFor(const Call& call, const TimeZone& zone);

    Status Authenticate(Call& call, Auth auth);
    Status AuthenticateSession(Call& call, std::string_view cookie_header);
    // E-mail and password from the body, checked against the rate limits and the store.
    Result<store::User> CheckCredentials(const std::shared_ptr<Call>& call);
    Result<TenantScope> ScopeFor(const Call& call);
    Result<TenantScope> WriteScopeFor(const Call& call);
    void Finish(const std::shared_ptr<Call>& call, net::Response response);
    void Fail(const std::shared_ptr<Call>& call, const Error& error);
    void Ingest(const std::shared_ptr<Call>& call, const TenantScope& scope, std::vector<IngestSample> samples);

    store::Repositories store_;
    domain::Devices& devices_;
    tsdb::Engine& engine_;
    const Clock& clock_;
    const domain::JwtIssuer& jwt_;
    domain::Accounts accounts_;
    ApiOptions options_;
    Router<Route> router_;
    RequestMetrics metrics_;
    domain::LoginLimits& login_limits_;
    domain::RateLimiter api_by_token_;
    ApiKeyCache api_keys_;
    std::function<void()> api_keys_announcer_;  // set before serving
    SeriesNameCache series_names_;
    std::unique_ptr<collect::DeviceDirectory> directory_;
    std::unique_ptr<collect::OpenDtuInverters> opendtu_;
    std::vector<std::pair<std::string, ReadinessCheck>> readiness_;
    std::vector<std::function<void(std::string&)>> metrics_sources_;
};

}  // namespace mh::api
