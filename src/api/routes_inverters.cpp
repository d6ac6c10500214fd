// The inverter dashboard's JSON (SPEC D6): today's figures per inverter and for the tenant, power curves, energy
// bars, MPPT channels, and a per-inverter CSV export in the tenant's time zone. See docs/api.md, "Inverters".
#include "api/api.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "core/time_parse.hpp"
#include "domain/inverter_figures.hpp"

namespace mh::api {
namespace {

using domain::InverterFigures;
using domain::InverterSeries;

json::value PointView(const std::optional<tsdb::Point>& p) {
    if (!p) return nullptr;
    return json::object{{"watts", p->value}, {"ts", IsoTime(p->ts_ms)}};
}

json::object TodayView(const domain::TodayFigures& f) {
    json::object o;
    if (f.current) {
        o["current"] = json::object{{"watts", f.current->watts},
                                    {"ts", IsoTime(f.current->ts_ms)},
                                    {"age_s", f.current->age_s},
                                    {"fresh", f.current->fresh}};
    } else {
        o["current"] = nullptr;
    }
    o["today_kwh"] = f.energy_kwh;
    o["today_source"] = domain::EnergySourceName(f.energy_source);
    o["peak"] = PointView(f.peak);
    o["last_hour_average_w"] = f.last_hour_average ? json::value(*f.last_hour_average) : json::value(nullptr);
    return o;
}

json::object InverterView(const InverterSeries& inverter) {
    json::object o = View(inverter.device);
    json::array channels;
    for (const auto& c : inverter.channels) channels.push_back(c.channel);
    o["channels"] = std::move(channels);
    return o;
}

// Points as [[ts_ms, avg, min, max], ...], hand-built: the arrays can be long.
void AppendPoints(std::string& body, const std::vector<tsdb::Point>& points) {
    body += '[';
    for (std::size_t i = 0; i < points.size(); ++i) {
        const auto& p = points[i];
        if (i > 0) body += ',';
        body += '[' + std::to_string(p.ts_ms) + ',' + JsonNumber(p.value) + ',' + JsonNumber(p.min) + ',' +
                JsonNumber(p.max) + ']';
    }
    body += ']';
}

std::string CurveJson(const tsdb::RangeResult& range, std::int64_t from_ms, std::int64_t to_ms) {
    std::string body = "{\"from\":\"" + IsoTime(from_ms) + "\",\"to\":\"" + IsoTime(to_ms) + "\",\"resolution\":\"" +
                       range.resolution + "\",\"bucket_ms\":" + std::to_string(range.bucket_ms) +
                       ",\"columns\":[\"ts_ms\",\"avg_w\",\"min_w\",\"max_w\"],\"points\":";
    AppendPoints(body, range.points);
    return body + "}";
}

}  // namespace

Result<Api::InverterContext> Api::InverterContextFor(const Call& call) {
    MH_ASSIGN_OR_RETURN(auto scope, ScopeFor(call));
    MH_ASSIGN_OR_RETURN(auto tenant, store_.tenants().GetTenant(scope.tenant()));
    const TimeZone zone = TimeZone::Find(tenant.time_zone).value_or(TimeZone::Utc());
    return InverterContext{scope, zone, InverterFigures(engine_, scope, zone)};
}

// ?from= and ?to= in the tenant's zone (local dates and times, "-3d", "now", Unix milliseconds), with defaults.
Result<std::pair<std::int64_t, std::int64_t>> Api::FromTo(const Call& call, const TimeZone& zone,
                                                          std::string_view default_from) {
    const Timestamp now = clock_.Now();
    auto parse = [&](const char* name, std::string_view fallback) -> Result<std::int64_t> {
        const std::string text = call.request.Param(name).value_or(std::string(fallback));
        auto t = ParseTimeArg(text, zone, now);
        if (!t) return MakeError(Errc::kInvalidArgument, std::string(name) + ": " + t.error().message);
        return ToMillis(*t);
    };
    MH_ASSIGN_OR_RETURN(std::int64_t from_ms, parse("from", default_from));
    MH_ASSIGN_OR_RETURN(std::int64_t to_ms, parse("to", "now"));
    return std::pair{from_ms, to_ms};
}

// ?range=1h|6h|24h|7d|30d|1y (default 24h) ending now, or ?from= and ?to=.
Result<std::pair<std::int64_t, std::int64_t>> Api::RangeFor(const Call& call, const TimeZone& zone) {
    if (call.request.Param("from") || call.request.Param("to")) {
        MH_ASSIGN_OR_RETURN(auto range, FromTo(call, zone, "-24h"));
        if (range.second <= range.first) return MakeError(Errc::kInvalidArgument, "to: must be after from");
        if (range.second - range.first > 10 * 366 * 86'400'000LL) {
            return MakeError(Errc::kInvalidArgument, "from..to: at most ten years at once");
        }
        return range;
    }
    const std::string name = call.request.Param("range").value_or("24h");
    const auto span = domain::ParseRangeName(name);
    if (!span) return MakeError(Errc::kInvalidArgument, "range: must be 1h, 6h, 24h, 7d, 30d or 1y (or give from/to)");
    const std::int64_t now_ms = ToMillis(clock_.Now());
    return std::pair{now_ms - *span, now_ms};
}

void Api::AddInverterRoutes() {
    using net::Method;

    // The device named in the path as an inverter (a device with AC power).
    auto inverter_of = [this](const Call& call, const TenantScope& scope) -> Result<InverterSeries> {
        MH_ASSIGN_OR_RETURN(auto id, ParseId(call.params.at("device"), "device"));
        return domain::InverterOf(store_, scope, DeviceId{id});
    };

    Add(Method::kGet, "/api/v1/tenants/{tenant}/inverters", Auth::kUser,
        "Every inverter with current power, today's energy, peak and last-hour average, and the tenant's totals",
        [this](std::shared_ptr<Call> call) {
            auto ctx = InverterContextFor(*call);
            if (!ctx) return Fail(call, ctx.error());
            auto inverters = domain::ListInverters(store_, ctx->scope);
            if (!inverters) return Fail(call, inverters.error());
            auto today = ctx->figures.Today(*inverters);
            if (!today) return Fail(call, today.error());
            json::array list;
            for (const auto& [inverter, figures] : today->inverters) {
                json::object o = InverterView(*inverter);
                o["today"] = TodayView(figures);
                list.push_back(std::move(o));
            }
            Finish(call, JsonResponse(200, json::object{{"time_zone", ctx->zone.name()},
                                                        {"inverters", std::move(list)},
                                                        {"total", TodayView(today->total)}}));
        });

    Add(Method::kGet, "/api/v1/tenants/{tenant}/inverters/{device}", Auth::kUser,
        "One inverter with today's figures and its latest MPPT channel values",
        [this, inverter_of](std::shared_ptr<Call> call) {
            auto ctx = InverterContextFor(*call);
            if (!ctx) return Fail(call, ctx.error());
            auto inverter = inverter_of(*call, ctx->scope);
            if (!inverter) return Fail(call, inverter.error());
            auto today = ctx->figures.Today(*inverter);
            if (!today) return Fail(call, today.error());
            json::object out = InverterView(*inverter);
            out["time_zone"] = ctx->zone.name();
            out["today"] = TodayView(*today);
            json::array channels;
            for (const auto& c : inverter->channels) {
                json::object ch{{"channel", c.channel}};
                std::int64_t newest = 0;
                for (const auto& [field, series] : c.by_field) {
                    auto latest = engine_.Latest(ctx->scope, series);
                    if (!latest) return Fail(call, latest.error());
                    ch[field] = *latest ? json::value((*latest)->value) : json::value(nullptr);
                    if (*latest) newest = std::max(newest, (*latest)->ts_ms);
                }
                ch["ts"] = newest ? json::value(IsoTime(newest)) : json::value(nullptr);
                channels.push_back(std::move(ch));
            }
            out["channels"] = std::move(channels);
            Finish(call, JsonResponse(200, out));
        });

    auto power = [this](const std::shared_ptr<Call>& call, const InverterContext& ctx,
                        std::span<const InverterSeries> inverters) {
        auto range = RangeFor(*call, ctx.zone);
        if (!range) return Fail(call, range.error());
        auto curve = ctx.figures.Power(inverters, range->first, range->second);
        if (!curve) return Fail(call, curve.error());
        Finish(call, net::Response::Json(200, CurveJson(*curve, range->first, range->second)));
    };
    Add(Method::kGet, "/api/v1/tenants/{tenant}/inverters/{device}/power", Auth::kUser,
        "AC power over ?range=1h|6h|24h|7d|30d|1y or ?from=&to=, at most 1000 points",
        [this, inverter_of, power](std::shared_ptr<Call> call) {
            auto ctx = InverterContextFor(*call);
            if (!ctx) return Fail(call, ctx.error());
            auto inverter = inverter_of(*call, ctx->scope);
            if (!inverter) return Fail(call, inverter.error());
            power(call, *ctx, std::span(&*inverter, 1));
        });
    Add(Method::kGet, "/api/v1/tenants/{tenant}/power", Auth::kUser,
        "The tenant's AC power (sum of its inverters) over ?range= or ?from=&to=",
        [this, power](std::shared_ptr<Call> call) {
            auto ctx = InverterContextFor(*call);
            if (!ctx) return Fail(call, ctx.error());
            auto inverters = domain::ListInverters(store_, ctx->scope);
            if (!inverters) return Fail(call, inverters.error());
            power(call, *ctx, *inverters);
        });

    auto energy = [this](const std::shared_ptr<Call>& call, const InverterContext& ctx,
                         std::span<const InverterSeries> inverters) {
        const std::string span_name = call->request.Param("period").value_or("day");
        const auto span = domain::ParseSpan(span_name);
        if (!span) return Fail(call, MakeError(Errc::kInvalidArgument, "period: must be day, week, month or year"));
        auto day = ParseTimeArg(call->request.Param("date").value_or("now"), ctx.zone, clock_.Now());
        if (!day) return Fail(call, MakeError(Errc::kInvalidArgument, "date: " + day.error().message));
        auto bars = ctx.figures.Energy(inverters, *span, *day);
        if (!bars) return Fail(call, bars.error());
        json::array out;
        for (const auto& b : bars->bars) {
            out.push_back(json::object{{"start", IsoTime(b.start_ms)}, {"label", b.label}, {"energy_kwh", b.energy}});
        }
        Finish(call, JsonResponse(200, json::object{{"period", span_name},
                                                    {"date", ctx.zone.Format(*day, "%F")},
                                                    {"time_zone", ctx.zone.name()},
                                                    {"source", domain::EnergySourceName(bars->source)},
                                                    {"bars", std::move(out)}}));
    };
    Add(Method::kGet, "/api/v1/tenants/{tenant}/inverters/{device}/energy", Auth::kUser,
        "Energy (kWh) per hour of ?date= (period=day), per day of its week or month, or per month of its year",
        [this, inverter_of, energy](std::shared_ptr<Call> call) {
            auto ctx = InverterContextFor(*call);
            if (!ctx) return Fail(call, ctx.error());
            auto inverter = inverter_of(*call, ctx->scope);
            if (!inverter) return Fail(call, inverter.error());
            energy(call, *ctx, std::span(&*inverter, 1));
        });
    Add(Method::kGet, "/api/v1/tenants/{tenant}/energy", Auth::kUser,
        "The tenant's energy (sum of its inverters) per ?period=day|week|month|year of ?date=",
        [this, energy](std::shared_ptr<Call> call) {
            auto ctx = InverterContextFor(*call);
            if (!ctx) return Fail(call, ctx.error());
            auto inverters = domain::ListInverters(store_, ctx->scope);
            if (!inverters) return Fail(call, inverters.error());
            energy(call, *ctx, *inverters);
        });

    Add(Method::kGet, "/api/v1/tenants/{tenant}/inverters/{device}/channels", Auth::kUser,
        "Per-MPPT channel series (power, voltage, current) over ?range= or ?from=&to=",
        [this, inverter_of](std::shared_ptr<Call> call) {
            auto ctx = InverterContextFor(*call);
            if (!ctx) return Fail(call, ctx.error());
            auto inverter = inverter_of(*call, ctx->scope);
            if (!inverter) return Fail(call, inverter.error());
            auto range = RangeFor(*call, ctx->zone);
            if (!range) return Fail(call, range.error());
            std::string body = "{\"from\":\"" + IsoTime(range->first) + "\",\"to\":\"" + IsoTime(range->second) +
                               "\",\"columns\":[\"ts_ms\",\"avg\",\"min\",\"max\"],\"channels\":[";
            bool first_channel = true;
            for (const auto& c : inverter->channels) {
                body += std::string(first_channel ? "" : ",") + "{\"channel\":" + std::to_string(c.channel);
                first_channel = false;
                for (const char* field : {"power", "voltage", "current"}) {
                    auto it = c.by_field.find(field);
                    if (it == c.by_field.end()) continue;
                    auto curve = tsdb::QueryRange(engine_, ctx->scope, it->second, range->first, range->second, 500);
                    if (!curve) return Fail(call, curve.error());
                    body += ",\"" + std::string(field) + "\":";
                    AppendPoints(body, curve->points);
                }
                body += '}';
            }
            Finish(call, net::Response::Json(200, body + "]}"));
        });

    AddInverterExportRoute();
}

}  // namespace mh::api
