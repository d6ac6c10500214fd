// POST /api/opendtu/measurements: the predecessor's contract for bjoernh's OpenDTU HTTP push, so that existing
// DTUs keep working unchanged (docs/devices/opendtu.md). The tenant's device API key in X-API-Key; inverters
// matched by serial within that tenant; 201 all stored, 207 some, 404 none.
#include "api/api.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "collect/opendtu_inverters.hpp"
#include "domain/access.hpp"

namespace mh::api {
namespace {

std::string PushAnswer(const ingest::opendtu::PushPayload& payload, const collect::PushBatch& batch,
                       const std::string& store_error, int& status) {
    json::array results;
    std::size_t ok = 0;
    for (const auto& inverter : batch.inverters) {
        json::object r{{"serial", inverter.serial}};
        if (inverter.device && store_error.empty()) {
            r["status"] = "ok";
            r["inverter_id"] = IdString(inverter.device->value());
            r["power_ac"] = inverter.power_ac;
            ++ok;
        } else {
            r["status"] = "error";
            r["error"] = inverter.device ? store_error : inverter.error;
        }
        results.push_back(std::move(r));
    }
    const std::size_t total = batch.inverters.size();
    status = ok == total ? 201 : ok > 0 ? 207 : 404;
    json::object out{{"dtu_serial", payload.dtu_serial},
                     {"timestamp", payload.timestamp},
                     {"total_inverters", total},
                     {"success_count", ok},
                     {"error_count", total - ok},
                     {"results", std::move(results)}};
    return json::serialize(out);
}

}  // namespace

void Api::AddOpenDtuRoutes() {
    Add(net::Method::kPost, "/api/opendtu/measurements", Auth::kUserOrKey,
        "OpenDTU HTTP push (X-API-Key of the tenant): every inverter's AC and DC values; 201 all stored, 207 some, "
        "404 none known",
        [this](std::shared_ptr<Call> call) {
            if (!call->caller.key) {
                return Fail(call, MakeError(Errc::kUnauthenticated, "send the tenant's device API key as X-API-Key"));
            }
            const TenantId tenant = call->caller.key->tenant;
            auto payload = ingest::opendtu::ParsePush(call->request.body);
            if (!payload) return Fail(call, payload.error());
            auto batch = opendtu_->Resolve(tenant, *payload, call->request.remote_address);
            if (!batch) return Fail(call, batch.error());
            auto samples = std::move(batch->samples);
            auto answer = [call, this, p = std::make_shared<ingest::opendtu::PushPayload>(std::move(*payload)),
                           b = std::make_shared<collect::PushBatch>(std::move(*batch))](Status stored) {
                std::string store_error;
                if (!stored) {
                    if (stored.error().code == Errc::kResourceExhausted || stored.error().code == Errc::kInvalidArgument) {
                        return Fail(call, stored.error());  // the whole push: overloaded, or a time out of range
                    }
                    store_error = "Failed to store measurement";
                    for (const auto& inverter : b->inverters) {
                        if (inverter.device) opendtu_->Forget(*inverter.device);
                    }
                }
                int status = 0;
                std::string body = PushAnswer(*p, *b, store_error, status);
                Finish(call, net::Response::Json(status, std::move(body)));
            };
            if (samples.empty()) return answer(Ok());
            engine_.WriteAsync(domain::Access::ForDeviceKey(tenant), std::move(samples), std::move(answer));
        });
}

}  // namespace mh::api
