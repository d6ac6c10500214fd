// GET /api/v1/tenants/{tenant}/inverters/{device}/export.csv: every series of one device over a range as one wide
// CSV table (a row per timestamp, a column per series with its unit), local times with their UTC offset, streamed
// a day at a time so memory stays flat for any range.
#include <algorithm>
#include <map>

#include "api/api.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"

namespace mh::api {

void Api::AddInverterExportRoute() {
    Add(net::Method::kGet, "/api/v1/tenants/{tenant}/inverters/{device}/export.csv", Auth::kUser,
        "A device's samples over ?range= or ?from=&to= as CSV: one row per time, one column per series",
        [this](std::shared_ptr<Call> call) {
            auto ctx = InverterContextFor(*call);
            if (!ctx) return Fail(call, ctx.error());
            auto id = ParseId(call->params.at("device"), "device");
            if (!id) return Fail(call, id.error());
            auto device = store_.devices().GetDevice(ctx->scope, DeviceId{*id});
            if (!device) return Fail(call, device.error());
            auto series = store_.devices().ListSeries(ctx->scope, device->id);
            if (!series) return Fail(call, series.error());
            auto range = RangeFor(*call, ctx->zone);
            if (!range) return Fail(call, range.error());
            // power_ac first, then by metric name.
            std::sort(series->begin(), series->end(), [](const store::Series& a, const store::Series& b) {
                return std::pair(a.metric != "power_ac", std::string_view(a.metric)) <
                       std::pair(b.metric != "power_ac", std::string_view(b.metric));
            });

            struct State {
                std::vector<store::Series> series;
                std::int64_t at = 0;
                bool header_done = false;
            };
            auto state = std::make_shared<State>();
            state->series = std::move(*series);
            state->at = range->first;
            const std::int64_t to_ms = range->second;
            const TimeZone zone = ctx->zone;
            const TenantScope scope = ctx->scope;
            const std::string title = "# meterhub export of \"" + device->name + "\" (" + device->source +
                                      (device->serial.empty() ? "" : " " + device->serial) + "), " +
                                      zone.Format(FromMillis(range->first), "%F %T") + " to " +
                                      zone.Format(FromMillis(to_ms), "%F %T") + " " + zone.name() + "\n";
            net::Response response;
            response.Set("content-type", "text/csv; charset=utf-8");
            response.Set("content-disposition", "attachment; filename=\"meterhub-" + IdString(*id) + ".csv\"");
            response.stream = [this, state, to_ms, zone, scope, title](std::string& out) -> bool {
                if (!state->header_done) {
                    state->header_done = true;
                    out += title;
                    out += "time (" + zone.name() + ")";
                    for (const auto& s : state->series) {
                        out += ',' + CsvCell(s.metric + (s.unit.empty() ? "" : " (" + s.unit + ")"));
                    }
                    out += '\n';
                    return true;
                }
                constexpr std::int64_t kWindowMs = 86'400'000;
                while (state->at <= to_ms) {
                    const std::int64_t end = std::min(to_ms, state->at + kWindowMs - 1);
                    std::map<std::int64_t, std::vector<std::optional<double>>> rows;
                    for (std::size_t i = 0; i < state->series.size(); ++i) {
                        auto samples = engine_.ReadRaw(scope, state->series[i].id, state->at, end);
                        if (!samples) {
                            out += "# export failed: " + samples.error().message + "\n";
                            state->at = to_ms + 1;
                            return true;
                        }
                        for (const auto& s : *samples) {
                            auto& row = rows[s.ts_ms];
                            row.resize(state->series.size());
                            row[i] = s.value;
                        }
                    }
                    state->at = end + 1;
                    if (rows.empty()) continue;
                    for (const auto& [ts, values] : rows) {
                        out += zone.Format(FromMillis(ts), "%FT%T%Ez");
                        for (const auto& v : values) {
                            out += ',';
                            if (v) out += JsonNumber(*v);
                        }
                        out += '\n';
                    }
                    return true;
                }
                return false;
            };
            Finish(call, std::move(response));
        });
}

}  // namespace mh::api
