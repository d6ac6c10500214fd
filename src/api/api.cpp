#include "api/api.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "domain/access.hpp"
#include "domain/api_keys.hpp"
#include "domain/secrets.hpp"

namespace mh::api {
namespace {

domain::LoginLimits& Required(const std::shared_ptr<domain::LoginLimits>& limits) {
    if (!limits) throw std::invalid_argument("ApiOptions::login_limits is required (shared with the web pages)");
    return *limits;
}

}  // namespace

Api::Api(store::Repositories store, tsdb::Engine& engine, domain::Devices& devices, const Clock& clock, const domain::JwtIssuer& jwt, SendMail mail,
         ApiOptions options)
    : store_(store),
      devices_(devices),
      engine_(engine),
      clock_(clock),
      jwt_(jwt),
      accounts_(store, clock, std::move(mail), options.public_url),
      options_(std::move(options)),
      login_limits_(Required(options_.login_limits)),
      api_by_token_(clock, options_.requests_per_minute, std::chrono::seconds(60)),
      api_keys_(store.auth(), clock),
      series_names_(store.devices(), clock),
      directory_(std::make_unique<collect::DeviceDirectory>(store, clock)),
      opendtu_(std::make_unique<collect::OpenDtuInverters>(*directory_)) {
    AddOperationsRoutes();
    AddAuthRoutes();
    AddTenantRoutes();
    AddDeviceRoutes();
    AddSampleRoutes();
    AddCompatRoutes();
    AddOpenDtuRoutes();
    AddInverterRoutes();
    AddQueryRoutes();
}

Api::~Api() = default;

void Api::Add(net::Method method, std::string_view pattern, Auth auth, std::string summary, Handler handler,
              Runs runs) {
    router_.Add(method, pattern, Route{auth, std::move(handler), std::move(summary), runs});
}

bool Api::RunsInline(const net::Request& request) const {
    // Parsing a large batch takes a while even in memory; it would hold up the I/O thread's other connections.
    constexpr std::size_t kMaxInlineBody = 64 * 1024;
    if (request.body.size() > kMaxInlineBody) return false;
    const auto match = router_.Find(request.method, request.path);
    if (match.target == nullptr || match.target->runs != Runs::kInline) return false;
    if (match.target->auth == Auth::kNone) return true;
    // Tokens and sessions are checked against the store; a device API key is usually in memory.
    if (match.target->auth != Auth::kUserOrKey || request.Header("authorization")) return false;
    const auto key = request.Header("x-api-key");
    if (!key) return false;
    const auto prefix = domain::ApiKeyPrefix(*key);
    return prefix && api_keys_.Holds(*prefix);
}

void Api::AddReadinessCheck(std::string name, ReadinessCheck check) {
    readiness_.emplace_back(std::move(name), std::move(check));
}

void Api::AddMetricsSource(std::function<void(std::string&)> source) {
    metrics_sources_.push_back(std::move(source));
}

void Api::Handle(net::Request request, net::Reply reply) {
    auto call = std::make_shared<Call>();
    call->started = std::chrono::steady_clock::now();
    call->reply = std::move(reply);
    call->request = std::move(request);
    auto match = router_.Find(call->request.method, call->request.path);
    static const std::string kUnmatched = "unmatched";
    call->route = match.pattern != nullptr ? match.pattern : &kUnmatched;
    if (match.target == nullptr) {
        if (!match.allowed.empty()) {
            std::string allow;
            for (auto m : match.allowed) allow += (allow.empty() ? "" : ", ") + std::string(net::MethodName(m));
            call->extra_headers.emplace_back("allow", allow);
            return Finish(call,
                          ErrorResponse(405, "method_not_allowed",
                                        std::string(net::MethodName(call->request.method)) + " is not allowed here"));
        }
        return Fail(call, MakeError(Errc::kNotFound, "no such route: " + call->request.path));
    }
    call->params = std::move(match.params);
    if (auto status = Authenticate(*call, match.target->auth); !status) {
        if (status.error().code == Errc::kResourceExhausted) {
            return Finish(call, ErrorResponse(429, "rate_limited", status.error().message));
        }
        if (status.error().code == Errc::kUnauthenticated)
            call->extra_headers.emplace_back("www-authenticate", "Bearer");
        return Fail(call, status.error());
    }
    try {
        match.target->handler(call);
    } catch (const std::exception& e) {
        spdlog::error("{} {}: {}", net::MethodName(call->request.method), *call->route, e.what());
        Fail(call, MakeError(Errc::kInternal, "internal error"));
    }
}

Status Api::Authenticate(Call& call, Auth auth) {
    if (auth == Auth::kNone) return Ok();
    const auto authorization = call.request.Header("authorization");
    const auto api_key = call.request.Header("x-api-key");
    std::string limit_key;
    if (authorization && authorization->starts_with("Bearer ")) {
        MH_ASSIGN_OR_RETURN(auto claims, jwt_.Verify(authorization->substr(7), clock_.Now()));
        MH_ASSIGN_OR_RETURN(bool revoked, store_.auth().IsTokenRevoked(claims.id));
        if (revoked) return MakeError(Errc::kUnauthenticated, "this token was logged out; log in again");
        auto user = store_.users().GetUser(claims.user);
        if (!user) return MakeError(Errc::kUnauthenticated, "the token's user no longer exists");
        call.caller.user = std::move(*user);
        call.caller.token_id = claims.id;
        call.caller.token_expires_s = claims.expires_at_s;
        limit_key = "t:" + claims.id;
    } else if (api_key && auth == Auth::kUserOrKey) {
        const auto prefix = domain::ApiKeyPrefix(*api_key);
        if (!prefix) return MakeError(Errc::kUnauthenticated, "malformed API key");
        auto key = api_keys_.Find(*prefix);
        if (!key || !domain::ApiKeyMatches(*api_key, key->secret_hash)) {
            return MakeError(Errc::kUnauthenticated, "invalid API key");
        }
        if (key->revoked_at) return MakeError(Errc::kUnauthenticated, "this API key has been revoked");
        call.caller.key = std::move(*key);
        limit_key = "k:" + *prefix;
    } else if (api_key) {
        return MakeError(Errc::kUnauthenticated, "API keys are for ingest only; use a bearer token here");
    } else if (const auto cookie = call.request.Header("cookie"); cookie && auth != Auth::kNone) {
        MH_RETURN_IF_ERROR(AuthenticateSession(call, *cookie));
        limit_key = "s:" + call.caller.session_hash;
    } else {
        return MakeError(Errc::kUnauthenticated, "authentication required (Authorization: Bearer <token>)");
    }
    if (auth == Auth::kAdmin && !call.caller.user->system_admin) {
        return MakeError(Errc::kPermissionDenied, "system administrators only");
    }
    const auto decision = api_by_token_.Take(limit_key);
    call.extra_headers.emplace_back("x-ratelimit-limit", std::to_string(decision.limit));
    call.extra_headers.emplace_back("x-ratelimit-remaining", std::to_string(decision.remaining));
    call.extra_headers.emplace_back("x-ratelimit-reset", std::to_string(decision.reset_s));
    if (!decision.allowed) {
        call.extra_headers.emplace_back("retry-after", std::to_string(decision.retry_after_s));
        return MakeError(Errc::kResourceExhausted,
                         "too many requests; retry in " + std::to_string(decision.retry_after_s) + " s");
    }
    return Ok();
}

// The browser's session cookie; state-changing requests must also carry the session's CSRF token.
Status Api::AuthenticateSession(Call& call, std::string_view cookie_header) {
    std::string value;
    for (std::size_t at = 0; at < cookie_header.size();) {
        auto end = cookie_header.find(';', at);
        if (end == std::string_view::npos) end = cookie_header.size();
        auto part = cookie_header.substr(at, end - at);
        part.remove_prefix(std::min(part.find_first_not_of(' '), part.size()));
        if (part.starts_with("mh_session=")) value = std::string(part.substr(11));
        at = end + 1;
    }
    if (value.empty())
        return MakeError(Errc::kUnauthenticated, "authentication required (Authorization: Bearer <token>)");
    const std::string hash = domain::Sha256Hex(value);
    MH_ASSIGN_OR_RETURN(auto session, store_.auth().FindSession(hash, clock_.Now()));
    const auto method = call.request.method;
    if (method != net::Method::kGet && method != net::Method::kHead && method != net::Method::kOptions) {
        const auto presented = call.request.Header("x-csrf-token").value_or("");
        if (presented.size() != session.csrf_token.size() ||
            sodium_memcmp(presented.data(), session.csrf_token.data(), presented.size()) != 0) {
            return MakeError(Errc::kPermissionDenied, "missing or wrong CSRF token (send the X-CSRF-Token header)");
        }
    }
    auto user = store_.users().GetUser(session.user);
    if (!user) return MakeError(Errc::kUnauthenticated, "the session's user no longer exists");
    call.caller.user = std::move(*user);
    call.caller.session_hash = hash;
    return Ok();
}

Result<TenantScope> Api::ScopeFor(const Call& call) {
    const auto it = call.params.find("tenant");
    if (it == call.params.end()) return MakeError(Errc::kInternal, "route has no tenant");
    MH_ASSIGN_OR_RETURN(std::int64_t id, ParseId(it->second, "tenant"));
    const TenantId tenant{id};
    if (call.caller.key) {
        if (call.caller.key->tenant != tenant) return MakeError(Errc::kNotFound, "tenant not found");
        return domain::Access::ForDeviceKey(tenant);
    }
    return domain::Access(store_).ForUser(call.caller.user->id, tenant);
}

Result<TenantScope> Api::WriteScopeFor(const Call& call) {
    MH_ASSIGN_OR_RETURN(auto scope, ScopeFor(call));
    if (!scope.CanWrite()) return MakeError(Errc::kPermissionDenied, "viewers cannot change this tenant");
    return scope;
}

void Api::Finish(const std::shared_ptr<Call>& call, net::Response response) {
    for (auto& header : call->extra_headers) response.headers.push_back(std::move(header));
    call->extra_headers.clear();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - call->started).count();
    metrics_.Observe(*call->route, response.status, seconds);
    auto reply = std::move(call->reply);
    if (reply) reply(std::move(response));
}

void Api::Fail(const std::shared_ptr<Call>& call, const Error& error) {
    if (error.code == Errc::kInternal || error.code == Errc::kDataLoss) {
        spdlog::error("{} {}: {}", net::MethodName(call->request.method), call->request.path, error.message);
    }
    Finish(call, ErrorResponse(error));
}

void Api::DevicesChanged(const domain::DeviceChange& change) {
    series_names_.Clear();
    for (const auto* serial : {&change.serial, &change.old_serial}) {
        if (!serial->empty()) directory_->Forget(change.source, *serial);
    }
}

}  // namespace mh::api
