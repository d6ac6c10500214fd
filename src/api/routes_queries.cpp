// Reads: latest, ranges with a point budget, energy, today's figures, and the streamed export.
#include <tuple>

#include "api/api.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "core/time_parse.hpp"
#include "core/time_zone.hpp"
#include "tsdb/query.hpp"

namespace mh::api {
namespace {

struct Window {
    std::int64_t from_ms = 0;
    std::int64_t to_ms = 0;
    TimeZone zone = TimeZone::Utc();
};

}  // namespace

void Api::AddQueryRoutes() {
    using net::Method;

    // The tenant's zone and the request's from/to (defaults: the last `span` until now).
    auto window = [this](const Call& call, const TenantScope& scope, const char* default_from) -> Result<Window> {
        MH_ASSIGN_OR_RETURN(auto tenant, store_.tenants().GetTenant(scope.tenant()));
        Window w;
        w.zone = TimeZone::Find(tenant.time_zone).value_or(TimeZone::Utc());
        MH_ASSIGN_OR_RETURN(std::tie(w.from_ms, w.to_ms), FromTo(call, w.zone, default_from));
        if (w.to_ms < w.from_ms) return MakeError(Errc::kInvalidArgument, "to: is before from");
        return w;
    };

    auto series_of = [](const Call& call) -> Result<SeriesId> {
        MH_ASSIGN_OR_RETURN(auto id, ParseId(call.params.at("series"), "series"));
        return SeriesId{id};
    };

    Add(Method::kGet, "/api/v1/tenants/{tenant}/series/{series}/latest", Auth::kUser, "The newest sample",
        [this, series_of](std::shared_ptr<Call> call) {
            auto scope = ScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto series = series_of(*call);
            if (!series) return Fail(call, series.error());
            auto latest = engine_.Latest(*scope, *series);
            if (!latest) return Fail(call, latest.error());
            json::object out{{"series_id", IdString(series->value())}};
            if (*latest) {
                out["ts"] = IsoTime((*latest)->ts_ms);
                out["value"] = (*latest)->value;
            } else {
                out["ts"] = nullptr;
                out["value"] = nullptr;
            }
            Finish(call, JsonResponse(200, out));
        });

    Add(Method::kGet, "/api/v1/tenants/{tenant}/series/{series}/range", Auth::kUser,
        "Samples or buckets over from..to (default the last 24 h), at most ?points= (default 1000)",
        [this, window, series_of](std::shared_ptr<Call> call) {
            auto scope = ScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto series = series_of(*call);
            if (!series) return Fail(call, series.error());
            auto w = window(*call, *scope, "-24h");
            if (!w) return Fail(call, w.error());
            std::size_t points = tsdb::kDefaultMaxPoints;
            if (auto p = call->request.Param("points")) {
                auto n = ParseId(*p, "points");
                if (!n || *n < 2 || *n > 100'000) {
                    return Fail(call, MakeError(Errc::kInvalidArgument, "points: must be 2..100000"));
                }
                points = static_cast<std::size_t>(*n);
            }
            auto range = tsdb::QueryRange(engine_, *scope, *series, w->from_ms, w->to_ms, points);
            if (!range) return Fail(call, range.error());
            // Hand-built: this is the hot read path and the arrays can be long.
            std::string body = "{\"series_id\":\"" + IdString(series->value()) + "\",\"resolution\":\"" +
                               range->resolution + "\",\"bucket_ms\":" + std::to_string(range->bucket_ms) + ",\"points\":[";
            for (std::size_t i = 0; i < range->points.size(); ++i) {
                const auto& p = range->points[i];
                if (i > 0) body += ',';
                body += "[" + std::to_string(p.ts_ms) + "," + JsonNumber(p.value) + "," + JsonNumber(p.min) + "," + JsonNumber(p.max) +
                        "," + std::to_string(p.count) + "]";
            }
            body += "],\"columns\":[\"ts_ms\",\"avg\",\"min\",\"max\",\"count\"]}";
            Finish(call, net::Response::Json(200, std::move(body)));
        });

    Add(Method::kGet, "/api/v1/tenants/{tenant}/series/{series}/today", Auth::kUser,
        "Today's energy, peak and last-hour average in the tenant's time zone",
        [this, series_of](std::shared_ptr<Call> call) {
            auto scope = ScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto series = series_of(*call);
            if (!series) return Fail(call, series.error());
            auto f = tsdb::TodayFigures(engine_, *scope, *series);
            if (!f) return Fail(call, f.error());
            json::object out{{"series_id", IdString(series->value())}, {"energy_today", f->energy_today}};
            out["peak_today"] = f->peak_today ? json::value(json::object{{"ts", IsoTime(f->peak_today->ts_ms)},
                                                                         {"value", f->peak_today->value}})
                                              : json::value(nullptr);
            out["last_hour_average"] = f->last_hour_average ? json::value(*f->last_hour_average) : json::value(nullptr);
            out["latest"] = f->latest ? json::value(json::object{{"ts", IsoTime(f->latest->ts_ms)},
                                                                 {"value", f->latest->value}})
                                      : json::value(nullptr);
            Finish(call, JsonResponse(200, out));
        });

    Add(Method::kGet, "/api/v1/tenants/{tenant}/series/{series}/energy", Auth::kUser,
        "Energy per ?period=hour|day|month|year over from..to (default the last 30 days)",
        [this, window, series_of](std::shared_ptr<Call> call) {
            auto scope = ScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto series = series_of(*call);
            if (!series) return Fail(call, series.error());
            auto w = window(*call, *scope, "-30d");
            if (!w) return Fail(call, w.error());
            const auto period = tsdb::ParsePeriod(call->request.Param("period").value_or("day"));
            if (!period) return Fail(call, MakeError(Errc::kInvalidArgument, "period: must be hour, day, month or year"));
            auto rows = tsdb::EnergyPer(engine_, *scope, *series, *period, w->from_ms, w->to_ms);
            if (!rows) return Fail(call, rows.error());
            json::array out;
            for (const auto& r : *rows) {
                out.push_back(json::object{{"start", IsoTime(r.start_ms)}, {"label", r.label}, {"energy", r.energy}});
            }
            Finish(call, JsonResponse(200, json::object{{"series_id", IdString(series->value())},
                                                        {"time_zone", w->zone.name()},
                                                        {"energy", std::move(out)}}));
        });

    Add(Method::kGet, "/api/v1/tenants/{tenant}/export", Auth::kUser,
        "Stream ?series= or ?device= over from..to as ?format=csv|json (chunked; constant memory)",
        [this, window](std::shared_ptr<Call> call) {
            auto scope = ScopeFor(*call);
            if (!scope) return Fail(call, scope.error());
            auto w = window(*call, *scope, "-30d");
            if (!w) return Fail(call, w.error());
            const std::string format = call->request.Param("format").value_or("csv");
            if (format != "csv" && format != "json") {
                return Fail(call, MakeError(Errc::kInvalidArgument, "format: must be csv or json"));
            }
            const auto series_param = call->request.Param("series");
            const auto device_param = call->request.Param("device");
            if (series_param.has_value() == device_param.has_value()) {
                return Fail(call, MakeError(Errc::kInvalidArgument, "give exactly one of series and device"));
            }
            std::vector<store::Series> series;
            if (series_param) {
                auto id = ParseId(*series_param, "series");
                if (!id) return Fail(call, id.error());
                auto s = store_.devices().GetSeries(*scope, SeriesId{*id});
                if (!s) return Fail(call, s.error());
                series.push_back(std::move(*s));
            } else {
                auto id = ParseId(*device_param, "device");
                if (!id) return Fail(call, id.error());
                if (auto d = store_.devices().GetDevice(*scope, DeviceId{*id}); !d) return Fail(call, d.error());
                auto list = store_.devices().ListSeries(*scope, DeviceId{*id});
                if (!list) return Fail(call, list.error());
                series = std::move(*list);
            }
            // The stream reads a week of one series at a time.
            struct State {
                std::vector<store::Series> series;
                std::size_t index = 0;
                std::int64_t at = 0;
                bool header_done = false;
                bool first_row = true;
                bool done = false;
            };
            auto state = std::make_shared<State>();
            state->series = std::move(series);
            state->at = w->from_ms;
            const bool csv = format == "csv";
            const Window win = *w;
            const TenantScope s = *scope;
            net::Response response;
            response.Set("content-type", csv ? "text/csv; charset=utf-8" : "application/json");
            response.Set("content-disposition",
                         std::string("attachment; filename=\"meterhub-export.") + (csv ? "csv" : "json") + "\"");
            response.stream = [this, state, csv, win, s](std::string& out) -> bool {
                if (state->done) return false;
                if (!state->header_done) {
                    state->header_done = true;
                    out += csv ? "timestamp_utc,local_time (" + win.zone.name() + "),series_id,metric,unit,value\n" : "[";
                    return true;
                }
                constexpr std::int64_t kWindowMs = 7 * 86'400'000LL;
                while (state->index < state->series.size()) {
                    const auto& current = state->series[state->index];
                    if (state->at > win.to_ms) {
                        ++state->index;
                        state->at = win.from_ms;
                        continue;
                    }
                    const std::int64_t end = std::min(win.to_ms, state->at + kWindowMs - 1);
                    auto samples = engine_.ReadRaw(s, current.id, state->at, end);
                    state->at = end + 1;
                    if (!samples) {
                        out += csv ? "# export failed: " + samples.error().message + "\n" : "]";
                        state->done = true;
                        return true;
                    }
                    if (samples->empty()) continue;
                    for (const auto& sample : *samples) {
                        const Timestamp t = FromMillis(sample.ts_ms);
                        if (csv) {
                            out += FormatUtc(t) + ',' + win.zone.Format(t, "%F %T") + ',' + IdString(current.id.value()) +
                                   ',' + CsvCell(current.metric) + ',' + CsvCell(current.unit) + ',' + JsonNumber(sample.value) + '\n';
                        } else {
                            out += (state->first_row ? "\n" : ",\n");
                            out += "{\"ts\":\"" + FormatUtc(t) + "\",\"series_id\":\"" + IdString(current.id.value()) +
                                   "\",\"metric\":" + JsonString(current.metric) + ",\"value\":" + JsonNumber(sample.value) +
                                   "}";
                        }
                        state->first_row = false;
                    }
                    return true;
                }
                state->done = true;
                if (!csv) out += "\n]\n";
                return !out.empty();
            };
            Finish(call, std::move(response));
        });
}

}  // namespace mh::api
