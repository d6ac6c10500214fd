// Sample ingest: JSON or line format, by series id or device + metric; answers once the samples are durable.
#include "api/api.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "domain/access.hpp"

namespace mh::api {

void Api::Ingest(const std::shared_ptr<Call>& call, const TenantScope& scope, std::vector<IngestSample> parsed) {
    std::vector<tsdb::SeriesSample> samples;
    samples.reserve(parsed.size());
    for (std::size_t i = 0; i < parsed.size(); ++i) {
        const auto& p = parsed[i];
        SeriesId series{p.series};
        if (p.series == 0) {
            auto found = series_names_.Find(scope, DeviceId{p.device}, p.metric);
            if (!found) {
                auto error = found.error();
                error.message = "samples[" + std::to_string(i) + "]: " + error.message;
                return Fail(call, error);
            }
            series = *found;
        }
        samples.push_back({series, p.ts_ms, p.value});
    }
    const std::size_t count = samples.size();
    engine_.WriteAsync(scope, std::move(samples), [this, call, count](Status status) {
        if (!status) {
            if (status.error().code == Errc::kResourceExhausted) call->extra_headers.emplace_back("retry-after", "1");
            return Fail(call, status.error());
        }
        Finish(call, net::Response::Json(201, "{\"stored\":" + std::to_string(count) + "}"));
    });
}

void Api::AddSampleRoutes() {
    using net::Method;

    auto ingest = [this](std::shared_ptr<Call> call, Result<TenantScope> scope) {
        if (!scope) return Fail(call, scope.error());
        if (!scope->CanWrite()) return Fail(call, MakeError(Errc::kPermissionDenied, "viewers cannot write samples"));
        const auto type = call->request.Header("content-type").value_or("application/json");
        auto parsed = type.starts_with("text/plain") ? ParseSamplesLines(call->request.body, options_.ingest)
                                                     : ParseSamplesJson(call->request.body, options_.ingest);
        if (!parsed) return Fail(call, parsed.error());
        Ingest(call, *scope, std::move(*parsed));
    };

    Add(
        Method::kPost, "/api/v1/tenants/{tenant}/samples", Auth::kUserOrKey,
        "Store a batch of samples (JSON, or text/plain lines \"<series> <unix-ms> <value>\"); 201 when durable",
        [this, ingest](std::shared_ptr<Call> call) { ingest(call, ScopeFor(*call)); }, Runs::kInline);

    Add(
        Method::kPost, "/api/v1/samples", Auth::kUserOrKey,
        "Store a batch of samples with a device API key (the key names the tenant)",
        [ingest](std::shared_ptr<Call> call) {
            if (!call->caller.key) {
                return ingest(call, MakeError(Errc::kInvalidArgument,
                                              "with a bearer token, post to /api/v1/tenants/{tenant}/samples"));
            }
            ingest(call, domain::Access::ForDeviceKey(call->caller.key->tenant));
        },
        Runs::kInline);
}

}  // namespace mh::api
