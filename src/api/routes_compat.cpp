// The predecessor's POST /api/measurements, kept so that its collectors keep working: a superuser (here: a
// system administrator) posts an inverter's readings by logger serial, and they go to whichever tenant owns that
// logger. The original handler is not public; the body is rebuilt from its schema (serial_logger,
// total_output_power, yield_day_wh, yield_total_kwh) and documented in docs/api.md.
#include "api/api.hpp"
#include "api/errors.hpp"
#include "api/ingest_parser.hpp"
#include "api/json_body.hpp"
#include "domain/access.hpp"

namespace mh::api {
namespace {

constexpr std::size_t kMaxMeasurements = 10'000;

struct Measurement {
    std::string serial;
    std::int64_t ts_ms = 0;
    std::vector<std::pair<const char*, double>> values;  // metric, value in meterhub's units
};

struct Metric {
    const char* field;
    const char* metric;
    const char* unit;
    store::SeriesKind kind;
    double factor;  // to meterhub's unit
};

constexpr Metric kMetrics[] = {
    {"total_output_power", "power_ac", "W", store::SeriesKind::kGauge, 1.0},
    {"yield_day_wh", "energy_today", "kWh", store::SeriesKind::kCounter, 0.001},
    {"yield_total_kwh", "energy_total", "kWh", store::SeriesKind::kCounter, 1.0},
};

Result<Measurement> ParseMeasurement(const json::value& item, std::size_t index, std::int64_t now_ms) {
    const std::string where = "measurements[" + std::to_string(index) + "]";
    const auto* object = item.if_object();
    if (!object) return MakeError(Errc::kInvalidArgument, where + ": must be an object");
    Measurement m;
    const json::value* serial = object->if_contains("serial_logger");
    if (!serial) serial = object->if_contains("serial");
    if (!serial || !serial->is_string() || serial->as_string().empty() || serial->as_string().size() > 64) {
        return MakeError(Errc::kInvalidArgument, where + ".serial_logger: must be a string of 1 to 64 characters");
    }
    m.serial = std::string(serial->as_string());
    m.ts_ms = now_ms;
    if (const auto* ts = object->if_contains("timestamp"); ts && !ts->is_null()) {
        if (ts->is_string()) {
            auto parsed = ParseRfc3339(ts->as_string());
            if (!parsed) return MakeError(Errc::kInvalidArgument, where + ".timestamp: " + parsed.error().message);
            m.ts_ms = *parsed;
        } else if (ts->is_int64()) {
            m.ts_ms = ts->as_int64();
        } else {
            return MakeError(Errc::kInvalidArgument, where + ".timestamp: must be RFC 3339 text or Unix milliseconds");
        }
    }
    for (const Metric& metric : kMetrics) {
        const auto* value = object->if_contains(metric.field);
        if (!value || value->is_null()) continue;
        if (!value->is_number())
            return MakeError(Errc::kInvalidArgument, where + "." + metric.field + ": must be a number");
        m.values.emplace_back(metric.metric, value->to_number<double>() * metric.factor);
    }
    if (m.values.empty()) {
        return MakeError(Errc::kInvalidArgument, where + ": no total_output_power, yield_day_wh or yield_total_kwh");
    }
    return m;
}

}  // namespace

void Api::AddCompatRoutes() {
    Add(net::Method::kPost, "/api/measurements", Auth::kAdmin,
        "Predecessor compatibility: readings by logger serial (system administrators), routed to the owning tenant",
        [this](std::shared_ptr<Call> call) {
            boost::system::error_code ec;
            const json::value body = json::parse(call->request.body, ec);
            if (ec) return Fail(call, MakeError(Errc::kInvalidArgument, "body is not JSON: " + ec.message()));
            json::array single;
            const json::array* items = body.if_array();
            if (!items) {
                single.push_back(body);
                items = &single;
            }
            if (items->empty() || items->size() > kMaxMeasurements) {
                return Fail(call, MakeError(Errc::kInvalidArgument,
                                            "send 1 to " + std::to_string(kMaxMeasurements) + " measurements"));
            }
            const std::int64_t now_ms = ToMillis(clock_.Now());
            // Samples by tenant: a request may name loggers of several tenants.
            std::map<std::int64_t, std::vector<tsdb::SeriesSample>> by_tenant;
            std::map<std::string, store::Device> devices;
            std::map<std::pair<std::int64_t, std::string_view>, SeriesId> series_ids;  // once per device and metric
            for (std::size_t i = 0; i < items->size(); ++i) {
                auto m = ParseMeasurement((*items)[i], i, now_ms);
                if (!m) return Fail(call, m.error());
                auto known = devices.find(m->serial);
                if (known == devices.end()) {
                    auto device = store_.devices().FindDeviceBySource("solarman", m->serial);
                    if (!device) device = store_.devices().FindDeviceBySource("opendtu", m->serial);
                    if (!device) {
                        return Fail(call,
                                    MakeError(Errc::kNotFound, "measurements[" + std::to_string(i) +
                                                                   "]: no inverter with serial '" + m->serial + "'"));
                    }
                    known = devices.emplace(m->serial, std::move(*device)).first;
                }
                const store::Device& device = known->second;
                const auto scope = domain::Access::ForDeviceKey(device.tenant);
                for (const auto& [metric_name, value] : m->values) {
                    const Metric& metric = *std::find_if(std::begin(kMetrics), std::end(kMetrics),
                                                         [&](const Metric& x) { return x.metric == metric_name; });
                    auto [id, fresh] = series_ids.try_emplace({device.id.value(), metric.metric});
                    if (fresh) {
                        auto series = store_.devices().EnsureSeries(scope, {device.id, metric.metric, metric.unit, metric.kind});
                        if (!series) return Fail(call, series.error());
                        id->second = series->id;
                    }
                    by_tenant[device.tenant.value()].push_back({id->second, m->ts_ms, value});
                }
            }
            std::size_t stored = 0;
            for (const auto& [tenant, samples] : by_tenant) {  // handlers may block: this is a worker thread
                if (auto written = engine_.Write(domain::Access::ForDeviceKey(TenantId{tenant}), samples); !written) {
                    return Fail(call, written.error());
                }
                stored += samples.size();
            }
            Finish(call, net::Response::Json(201, "{\"stored\":" + std::to_string(stored) + "}"));
        });

    // What the predecessor's collectors used to complete an inverter's metadata.
    Add(net::Method::kPost, "/inverter_metadata/{serial}", Auth::kAdmin,
        "Predecessor compatibility: set rated power and MPPT count of an inverter by serial (system administrators)",
        [this](std::shared_ptr<Call> call) {
            auto body = ParseObject(call->request.body);
            if (!body) return Fail(call, body.error());
            auto rated_power = OptionalNumber(*body, "rated_power", 0, 1e9);
            if (!rated_power) return Fail(call, rated_power.error());
            auto mppts = OptionalNumber(*body, "number_of_mppts", 0, 64);
            if (!mppts) return Fail(call, mppts.error());
            if (!*rated_power || !*mppts) {
                return Fail(call, MakeError(Errc::kInvalidArgument, "rated_power and number_of_mppts are required"));
            }
            const std::string& serial = call->params.at("serial");
            auto device = store_.devices().FindDeviceBySource("solarman", serial);
            if (!device) device = store_.devices().FindDeviceBySource("opendtu", serial);
            if (!device) return Fail(call, MakeError(Errc::kNotFound, "no inverter with serial '" + serial + "'"));
            store::DeviceFacts facts;
            facts.rated_power_w = **rated_power;
            if (**mppts >= 1) facts.mppt_count = static_cast<int>(**mppts);  // 0: unknown, as the predecessor allowed
            const auto scope = domain::Access::ForDeviceKey(device->tenant);
            if (auto status = store_.devices().SetDeviceFacts(scope, device->id, facts); !status) return Fail(call, status.error());
            auto updated = store_.devices().GetDevice(scope, device->id);
            if (!updated) return Fail(call, updated.error());
            json::object out{{"id", IdString(updated->id.value())},
                             {"serial_logger", updated->serial},
                             {"name", updated->name},
                             {"rated_power", updated->rated_power_w.value_or(0)},
                             {"number_of_mppts", updated->mppt_count.value_or(0)},
                             {"sw_version", updated->firmware.empty() ? "-" : updated->firmware}};
            Finish(call, JsonResponse(200, out));
        });
}

}  // namespace mh::api
