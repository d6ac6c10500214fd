// query, export and purge: reading what the engine holds, and retention.
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/command.hpp"
#include "cli/runtime.hpp"
#include "cli/table.hpp"
#include "core/time_parse.hpp"
#include "domain/access.hpp"
#include "tsdb/query.hpp"

namespace mh::cli {
namespace {

using domain::Access;

std::string Number(double v) {
    std::ostringstream out;
    out << std::setprecision(15) << v;
    return out.str();
}

struct QueryArgs {
    std::string tenant;
    std::int64_t series = 0;
    std::int64_t device = 0;
    std::string from = "-24h";
    std::string to = "now";
    std::size_t points = tsdb::kDefaultMaxPoints;
    std::string period = "today";
    std::string format = "csv";
    std::string output;
    bool json = false;
};

// Opens the runtime read-only with an engine that has replayed the log, so that samples a running server
// has acknowledged but not yet checkpointed are seen too.
template <class Body>
Action WithEngine(std::shared_ptr<QueryArgs> args, Body body) {
    return [args, body](const Config& config) -> int {
        auto runtime = Runtime::Open(config, true);
        if (!runtime) return Fail(runtime.error());
        if (auto status = (*runtime)->OpenEngine(true); !status) return Fail(status.error());
        auto tenant = (*runtime)->Tenant(args->tenant);
        if (!tenant) return Fail(tenant.error());
        auto zone = TimeZone::Find(tenant->time_zone);
        if (!zone) return Fail(zone.error());
        Status status = body(**runtime, Access::ForOperator(tenant->id), *zone);
        return status ? 0 : Fail(status.error());
    };
}

void AddQueryOptions(CLI::App* cmd, QueryArgs& args, bool series_required) {
    cmd->add_option("--tenant", args.tenant, "Tenant name")->required();
    auto* series = cmd->add_option("--series", args.series, "Series id (see `meterhub series list`)");
    if (series_required) series->required();
    cmd->add_flag("--json", args.json, "JSON output");
}

Status PrintLatest(Runtime& rt, const TenantScope& scope, const TimeZone& zone, const QueryArgs& args) {
    MH_ASSIGN_OR_RETURN(auto latest, rt.engine->Latest(scope, SeriesId{args.series}));
    if (args.json) {
        if (!latest) {
            std::cout << "null\n";
        } else {
            std::cout << "{\"ts\":" << Json(FormatUtc(FromMillis(latest->ts_ms)))
                      << ",\"value\":" << Number(latest->value) << "}\n";
        }
        return Ok();
    }
    if (!latest) return MakeError(Errc::kNotFound, "series " + std::to_string(args.series) + " has no samples yet");
    std::cout << zone.Format(FromMillis(latest->ts_ms)) << "  " << Number(latest->value) << "\n";
    return Ok();
}

Status PrintRange(Runtime& rt, const TenantScope& scope, const TimeZone& zone, const QueryArgs& args) {
    const Timestamp now = rt.clock.Now();
    MH_ASSIGN_OR_RETURN(auto from, ParseTimeArg(args.from, zone, now));
    MH_ASSIGN_OR_RETURN(auto to, ParseTimeArg(args.to, zone, now));
    MH_ASSIGN_OR_RETURN(auto range, tsdb::QueryRange(*rt.engine, scope, SeriesId{args.series}, ToMillis(from),
                                                     ToMillis(to), args.points));
    if (args.json) {
        std::cout << "{\"resolution\":" << Json(range.resolution) << ",\"bucket_ms\":" << range.bucket_ms
                  << ",\"points\":[";
        for (std::size_t i = 0; i < range.points.size(); ++i) {
            const auto& p = range.points[i];
            std::cout << (i ? "," : "") << "{\"ts\":" << Json(FormatUtc(FromMillis(p.ts_ms)))
                      << ",\"value\":" << Number(p.value) << ",\"min\":" << Number(p.min)
                      << ",\"max\":" << Number(p.max) << ",\"count\":" << p.count << "}";
        }
        std::cout << "]}\n";
        return Ok();
    }
    Table table({"TIME", "VALUE", "MIN", "MAX", "COUNT"});
    for (const auto& p : range.points) {
        table.Add(
            {zone.Format(FromMillis(p.ts_ms)), Number(p.value), Number(p.min), Number(p.max), std::to_string(p.count)});
    }
    table.Print(std::cout);
    std::cout << range.points.size() << " points (" << range.resolution << ")\n";
    return Ok();
}

Status PrintEnergy(Runtime& rt, const TenantScope& scope, const TimeZone& zone, const QueryArgs& args) {
    const SeriesId series{args.series};
    if (args.period == "today") {
        MH_ASSIGN_OR_RETURN(auto f, tsdb::TodayFigures(*rt.engine, scope, series));
        if (args.json) {
            std::cout << "{\"energy_today\":" << Number(f.energy_today)
                      << ",\"peak_today\":" << (f.peak_today ? Number(f.peak_today->value) : "null")
                      << ",\"last_hour_average\":" << (f.last_hour_average ? Number(*f.last_hour_average) : "null")
                      << "}\n";
            return Ok();
        }
        std::cout << "today's energy:     " << Number(f.energy_today) << "\n"
                  << "today's peak:       "
                  << (f.peak_today ? Number(f.peak_today->value) + " (" +
                                         zone.Format(FromMillis(f.peak_today->ts_ms), "%H:%M") + ")"
                                   : "-")
                  << "\nlast-hour average:  " << (f.last_hour_average ? Number(*f.last_hour_average) : "-") << "\n";
        return Ok();
    }
    const auto period = tsdb::ParsePeriod(args.period);
    if (!period) return MakeError(Errc::kInvalidArgument, "--period must be today, hour, day, month or year");
    const Timestamp now = rt.clock.Now();
    MH_ASSIGN_OR_RETURN(auto from, ParseTimeArg(args.from, zone, now));
    MH_ASSIGN_OR_RETURN(auto to, ParseTimeArg(args.to, zone, now));
    MH_ASSIGN_OR_RETURN(auto rows, tsdb::EnergyPer(*rt.engine, scope, series, *period, ToMillis(from), ToMillis(to)));
    if (args.json) {
        std::cout << "[";
        for (std::size_t i = 0; i < rows.size(); ++i) {
            std::cout << (i ? "," : "") << "{\"period\":" << Json(rows[i].label)
                      << ",\"energy\":" << Number(rows[i].energy) << "}";
        }
        std::cout << "]\n";
        return Ok();
    }
    Table table({"PERIOD", "ENERGY"});
    for (const auto& r : rows) table.Add({r.label, Number(r.energy)});
    table.Print(std::cout);
    return Ok();
}

// Streams samples window by window, so a year of minute data never sits in memory at once.
Status Export(Runtime& rt, const TenantScope& scope, const TimeZone& zone, const QueryArgs& args) {
    if (args.format != "csv" && args.format != "json")
        return MakeError(Errc::kInvalidArgument, "--format is csv or json");
    if ((args.series > 0) == (args.device > 0)) {
        return MakeError(Errc::kInvalidArgument, "give exactly one of --series and --device");
    }
    std::vector<store::Series> series;
    if (args.series > 0) {
        MH_ASSIGN_OR_RETURN(auto s, rt.store->devices().GetSeries(scope, SeriesId{args.series}));
        series.push_back(std::move(s));
    } else {
        MH_RETURN_IF_ERROR(rt.store->devices().GetDevice(scope, DeviceId{args.device}));
        MH_ASSIGN_OR_RETURN(series, rt.store->devices().ListSeries(scope, DeviceId{args.device}));
    }
    const Timestamp now = rt.clock.Now();
    MH_ASSIGN_OR_RETURN(auto from, ParseTimeArg(args.from, zone, now));
    MH_ASSIGN_OR_RETURN(auto to, ParseTimeArg(args.to, zone, now));

    std::ofstream file;
    if (!args.output.empty()) {
        file.open(args.output);
        if (!file) return MakeError(Errc::kUnavailable, "cannot write " + args.output);
    }
    std::ostream& out = args.output.empty() ? std::cout : file;
    const bool csv = args.format == "csv";
    if (csv) {
        out << "timestamp_utc,local_time (" << zone.name() << "),series_id,metric,unit,value\n";
    } else {
        out << "[";
    }
    constexpr std::int64_t kWindowMs = 7 * 86'400'000LL;
    bool first = true;
    std::int64_t rows = 0;
    for (const auto& s : series) {
        for (std::int64_t at = ToMillis(from); at <= ToMillis(to); at += kWindowMs) {
            const std::int64_t end = std::min(ToMillis(to), at + kWindowMs - 1);
            MH_ASSIGN_OR_RETURN(auto samples, rt.engine->ReadRaw(scope, s.id, at, end));
            for (const auto& sample : samples) {
                const Timestamp t = FromMillis(sample.ts_ms);
                if (csv) {
                    out << FormatUtc(t) << ',' << zone.Format(t, "%F %T") << ',' << s.id.value() << ',' << s.metric
                        << ',' << s.unit << ',' << Number(sample.value) << '\n';
                } else {
                    out << (first ? "\n" : ",\n") << "{\"ts\":" << Json(FormatUtc(t))
                        << ",\"series_id\":" << s.id.value() << ",\"metric\":" << Json(s.metric)
                        << ",\"unit\":" << Json(s.unit) << ",\"value\":" << Number(sample.value) << "}";
                }
                first = false;
                ++rows;
            }
        }
    }
    if (!csv) out << "\n]\n";
    out.flush();
    if (!out) return MakeError(Errc::kUnavailable, "writing the export failed");
    if (!args.output.empty()) std::cerr << rows << " samples written to " << args.output << "\n";
    return Ok();
}

}  // namespace

void AddDataCommands(CLI::App& app, Action& action) {
    auto* query = app.add_subcommand("query", "Read samples and figures");
    query->require_subcommand(1);

    auto latest_args = std::make_shared<QueryArgs>();
    auto* latest = query->add_subcommand("latest", "The newest sample of a series");
    AddQueryOptions(latest, *latest_args, true);
    latest->callback([&action, latest_args] {
        action = WithEngine(latest_args, [latest_args](Runtime& rt, const TenantScope& scope, const TimeZone& zone) {
            return PrintLatest(rt, scope, zone, *latest_args);
        });
    });

    auto range_args = std::make_shared<QueryArgs>();
    auto* range = query->add_subcommand("range", "Samples or buckets over a time range, at most --points of them");
    AddQueryOptions(range, *range_args, true);
    range->add_option("--from", range_args->from, "Start: now, -24h, -7d, 2026-03-29, 2026-03-29T14:00, ...Z")
        ->capture_default_str();
    range->add_option("--to", range_args->to, "End (same forms)")->capture_default_str();
    range->add_option("--points", range_args->points, "At most this many points")->capture_default_str();
    range->callback([&action, range_args] {
        action = WithEngine(range_args, [range_args](Runtime& rt, const TenantScope& scope, const TimeZone& zone) {
            return PrintRange(rt, scope, zone, *range_args);
        });
    });

    auto energy_args = std::make_shared<QueryArgs>();
    energy_args->from = "-30d";
    auto* energy = query->add_subcommand(
        "energy", "Today's energy, peak and last-hour average, or energy per hour/day/month/year");
    AddQueryOptions(energy, *energy_args, true);
    energy->add_option("--period", energy_args->period, "today, hour, day, month or year")->capture_default_str();
    energy->add_option("--from", energy_args->from, "Start, for per-period energy")->capture_default_str();
    energy->add_option("--to", energy_args->to, "End, for per-period energy")->capture_default_str();
    energy->callback([&action, energy_args] {
        action = WithEngine(energy_args, [energy_args](Runtime& rt, const TenantScope& scope, const TimeZone& zone) {
            return PrintEnergy(rt, scope, zone, *energy_args);
        });
    });

    auto export_args = std::make_shared<QueryArgs>();
    export_args->from = "-30d";
    auto* exp = app.add_subcommand("export", "Export a series or a device's series as CSV or JSON (streamed)");
    exp->add_option("--tenant", export_args->tenant, "Tenant name")->required();
    exp->add_option("--series", export_args->series, "Series id");
    exp->add_option("--device", export_args->device, "Device id: all its series");
    exp->add_option("--from", export_args->from, "Start")->capture_default_str();
    exp->add_option("--to", export_args->to, "End")->capture_default_str();
    exp->add_option("--format", export_args->format, "csv or json")->capture_default_str();
    exp->add_option("-o,--output", export_args->output, "File to write (default: standard output)");
    exp->callback([&action, export_args] {
        action = WithEngine(export_args, [export_args](Runtime& rt, const TenantScope& scope, const TimeZone& zone) {
            return Export(rt, scope, zone, *export_args);
        });
    });

    auto purge_tenant = std::make_shared<std::string>();
    auto* purge = app.add_subcommand("purge", "Apply retention now: delete raw samples older than each tenant keeps");
    purge->add_option("--tenant", *purge_tenant, "Only this tenant");
    purge->callback([&action, purge_tenant] {
        action = [purge_tenant](const Config& config) -> int {
            auto rt = Runtime::Open(config, false);
            if (!rt) return Fail(rt.error());
            auto tenants = (*rt)->store->tenants().ListTenants();
            if (!tenants) return Fail(tenants.error());
            const Timestamp now = (*rt)->clock.Now();
            bool found = purge_tenant->empty();
            for (const auto& t : *tenants) {
                if (!purge_tenant->empty() && t.name != *purge_tenant) continue;
                found = true;
                const auto before = now - date::days(t.raw_retention_days);
                auto purged = (*rt)->store->chunks().PurgeChunks(t.id, ToMillis(before));
                if (!purged) return Fail(purged.error());
                std::cout << t.name << ": " << *purged << " raw samples before " << FormatUtc(before)
                          << " deleted (rollups kept)\n";
            }
            if (!found) return Fail(MakeError(Errc::kNotFound, "tenant '" + *purge_tenant + "' not found"));
            return 0;
        };
    });
}

}  // namespace mh::cli
