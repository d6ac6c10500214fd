// Operations: liveness, readiness, Prometheus metrics, and the OpenAPI document with its browsable page.
#include <fmt/format.h>

#include "api/api.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"

namespace mh::api {

void Api::AddOperationsRoutes() {
    using net::Method;

    Add(
        Method::kGet, "/healthz", Auth::kNone, "Liveness: the process answers",
        [this](std::shared_ptr<Call> call) { Finish(call, net::Response::Json(200, R"({"status":"ok"})")); },
        Runs::kInline);

    Add(Method::kGet, "/readyz", Auth::kNone, "Readiness: database reachable, ingest queue not saturated",
        [this](std::shared_ptr<Call> call) {
            json::object checks;
            bool ready = true;
            auto database = store_.tenants().GetTenant(TenantId{1});  // any answer, found or not, proves the database works
            const bool db_ok = database || database.error().code == Errc::kNotFound;
            checks["database"] = db_ok ? "ok" : database.error().message;
            ready = ready && db_ok;
            const auto stats = engine_.stats();
            const bool queue_ok = stats.queued_samples < engine_.options().max_queue_samples * 9 / 10;
            checks["ingest_queue"] =
                queue_ok ? std::string("ok") : fmt::format("{} samples waiting", stats.queued_samples);
            ready = ready && queue_ok;
            const Status log = engine_.Health();  // a failed sample log: writes refused until restarted
            checks["sample_log"] = log ? std::string("ok") : log.error().message;
            ready = ready && log.has_value();
            for (const auto& [name, check] : readiness_) {
                auto status = check();
                checks[name] = status ? std::string("ok") : status.error().message;
                ready = ready && status.has_value();
            }
            Finish(call, JsonResponse(ready ? 200 : 503,
                                      json::object{{"status", ready ? "ready" : "not ready"}, {"checks", checks}}));
        });

    Add(Method::kGet, "/metrics", Auth::kNone, "Prometheus metrics", [this](std::shared_ptr<Call> call) {
        std::string out;
        const auto s = engine_.stats();
        using enum MetricType;
        AppendMetric(out, "meterhub_ingest_samples_total", "Samples stored.", kCounter, s.samples_written);
        AppendMetric(out, "meterhub_ingest_batches_total", "Batches stored.", kCounter, s.batches_written);
        AppendMetric(out, "meterhub_log_appends_total", "Group commits to the sample log.", kCounter, s.log_appends);
        AppendMetric(out, "meterhub_ingest_queue_samples", "Samples waiting for the log.", kGauge, s.queued_samples);
        AppendMetric(out, "meterhub_checkpoints_total", "Checkpoints written.", kCounter, s.checkpoints);
        AppendMetric(out, "meterhub_checkpoint_failures_total", "Checkpoints that failed.", kCounter,
                     s.checkpoint_failures);
        const auto count = [](std::uint64_t n) { return static_cast<std::int64_t>(n); };
        const TtlCacheStats keys = api_keys_.stats();
        const TtlCacheStats names = series_names_.stats();
        AppendMetric(out, "meterhub_api_key_cache_hits_total", "Device API key checks answered from memory.", kCounter,
                     count(keys.hits));
        AppendMetric(out, "meterhub_api_key_cache_misses_total", "Device API key checks that read the store.", kCounter,
                     count(keys.misses));
        AppendMetric(out, "meterhub_series_name_cache_hits_total", "Lookups by series name whose device was in memory.",
                     kCounter, count(names.hits));
        AppendMetric(out, "meterhub_series_name_cache_misses_total", "Lookups by series name whose device was not.",
                     kCounter, count(names.misses));
        metrics_.Render(out);
        for (const auto& source : metrics_sources_) source(out);
        Finish(call, net::Response::Text(200, std::move(out), "text/plain; version=0.0.4; charset=utf-8"));
    });

    Add(Method::kGet, "/api/openapi.json", Auth::kNone, "This API described as OpenAPI 3",
        [this](std::shared_ptr<Call> call) { Finish(call, net::Response::Json(200, OpenApiJson())); });

    Add(Method::kGet, "/api/docs", Auth::kNone, "A browsable page of the API", [this](std::shared_ptr<Call> call) {
        // Self-contained (no external assets): the route table rendered server-side.
        std::string rows;
        router_.ForEach([&](net::Method method, const std::string& pattern, const Route& route) {
            rows += "<tr><td><code>" + std::string(net::MethodName(method)) + "</code></td><td><code>" + pattern +
                    "</code></td><td>" + route.summary + "</td></tr>\n";
        });
        std::string page =
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
            "content=\"width=device-width,initial-scale=1\"><title>meterhub API</title><style>body{font-family:"
            "system-ui,sans-serif;margin:2rem;max-width:72rem}table{border-collapse:collapse;width:100%}td{border-"
            "bottom:1px solid #ddd;padding:.4rem;vertical-align:top}code{white-space:nowrap}</style></head><body>"
            "<h1>meterhub API</h1><p>Machine-readable: <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI "
            "3). Errors: <code>{\"error\":{\"code\",\"message\",\"details\"}}</code>. Authenticate with "
            "<code>Authorization: Bearer &lt;token&gt;</code> from <code>POST /api/v1/auth/login</code>, or "
            "<code>X-API-Key</code> on ingest routes.</p><table><tr><th>Method</th><th>Path</th><th>What</th></tr>\n" +
            rows + "</table></body></html>";
        Finish(call, net::Response::Text(200, std::move(page), "text/html; charset=utf-8"));
    });
}

std::string Api::OpenApiJson() const {
    json::object paths;
    router_.ForEach([&](net::Method method, const std::string& pattern, const Route& route) {
        std::string lower = net::MethodName(method);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        json::object op{{"summary", route.summary}};
        json::array parameters;
        for (std::size_t at = pattern.find('{'); at != std::string::npos; at = pattern.find('{', at + 1)) {
            const auto end = pattern.find('}', at);
            parameters.push_back(json::object{{"name", pattern.substr(at + 1, end - at - 1)},
                                              {"in", "path"},
                                              {"required", true},
                                              {"schema", json::object{{"type", "string"}}}});
        }
        if (!parameters.empty()) op["parameters"] = std::move(parameters);
        if (route.auth == Auth::kUser || route.auth == Auth::kAdmin) {
            op["security"] = json::array{json::object{{"bearer", json::array{}}}};
        } else if (route.auth == Auth::kUserOrKey) {
            op["security"] =
                json::array{json::object{{"bearer", json::array{}}}, json::object{{"apiKey", json::array{}}}};
        }
        op["responses"] = json::object{
            {"200", json::object{{"description", "OK"}}},
            {"default",
             json::object{{"description", "Error"},
                          {"content", json::object{{"application/json",
                                                    json::object{{"schema", json::object{{"$ref",
                                                                                          "#/components/schemas/"
                                                                                          "Error"}}}}}}}}}};
        paths[pattern].emplace_object()[lower] = std::move(op);
    });
    json::object doc{
        {"openapi", "3.0.3"},
        {"info", json::object{{"title", "meterhub"}, {"version", "0.1.0"}}},
        {"paths", std::move(paths)},
        {"components",
         json::object{
             {"securitySchemes",
              json::object{{"bearer", json::object{{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}},
                           {"apiKey", json::object{{"type", "apiKey"}, {"in", "header"}, {"name", "X-API-Key"}}}}},
             {"schemas",
              json::object{
                  {"Error",
                   json::object{
                       {"type", "object"},
                       {"properties",
                        json::object{
                            {"error", json::object{{"type", "object"},
                                                   {"properties", json::object{{"code", {{"type", "string"}}},
                                                                               {"message", {{"type", "string"}}},
                                                                               {"details", json::object{}}}}}}}}}}}}}}};
    return json::serialize(doc);
}

}  // namespace mh::api
