// The inverter dashboard's figures (issue: inverters) for a tenant with 10 inverters and one year of 1-minute
// data each (power_ac and a daily energy counter): the home page ("today" for every inverter with the tenant's
// totals), one inverter's 1-year power chart, the tenant's summed 1-year chart and a year of monthly energy bars.
// Targets: today page p99 <= 5 ms, 1-year chart p99 <= 20 ms. The data's last day is still in the engine's
// memory, as on a running server; the rest is in compressed chunks and rollups.
//
// Usage: figures_bench [reps]   (Release build: make bench, or build/bench/bench/figures_bench)
// MH_FIGURES_BREAKDOWN=1 also times the calls behind the today page (MH_FIGURES_INVERTER=N picks the inverter).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "domain/access.hpp"
#include "domain/secrets.hpp"
#include "domain/inverter_figures.hpp"
#include "web/live_hub.hpp"
#include "web/site.hpp"
#include "domain/devices.hpp"
#include "store/sqlite/open.hpp"
#include "tsdb/local_engine.hpp"

namespace mh {
namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kDay = 86'400'000;
constexpr int kInverters = 10;
constexpr std::int64_t kT0 = 1'735'689'600'000;  // 2025-01-01T00:00Z
constexpr std::int64_t kEnd = kT0 + 365 * kDay;  // now: 2026-01-01T00:00Z ... plus half a day below
constexpr std::int64_t kNow = kEnd + kDay / 2;

template <class R>
void Must(const R& result, const char* what) {
    if (!result) {
        fmt::print(stderr, "figures_bench: {}: {}\n", what, result.error().message);
        std::exit(1);
    }
}

// A PV inverter's AC power in Berlin: a bell between 06:00 and 20:00 local (UTC+1 is close enough), seasonal.
double Power(int inverter, std::int64_t ts) {
    const double hour = std::fmod(static_cast<double>(ts) / 3.6e6 + 1.0, 24.0);
    if (hour < 6 || hour > 20) return 0;
    const double day = static_cast<double>(ts - kT0) / kDay;
    const double season = 0.6 + 0.4 * std::sin((day - 80) / 365.0 * 2 * M_PI);
    return std::round(10 * (600 + 20 * inverter) * season * std::sin((hour - 6) / 14 * M_PI)) / 10;
}

struct Percentiles {
    double p50, p99, max;
};

Percentiles Time(int reps, const std::function<void()>& work) {
    std::vector<double> ms;
    for (int i = 0; i < reps; ++i) {
        const auto start = std::chrono::steady_clock::now();
        work();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)], ms.back()};
}

int Run(int reps) {
    const auto dir = std::filesystem::temp_directory_path() / ("meterhub-figures-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    FakeClock clock{FromMillis(kNow)};
    IdGenerator ids{clock, 1};
    auto store = store::sqlite::Open((dir / "m.db").string(), clock, ids, {});
    Must(store, "open store");
    auto tenant = (*store)->tenants().CreateTenant({"bench", "Europe/Berlin", 730});
    Must(tenant, "tenant");
    const auto scope = domain::Access::ForOperator(tenant->id);
    std::vector<std::pair<SeriesId, SeriesId>> series;  // power, daily counter
    for (int i = 0; i < kInverters; ++i) {
        auto device = (*store)->devices().CreateDevice(scope, {"inverter " + std::to_string(i), "opendtu", std::to_string(i), "", ""});
        Must(device, "device");
        auto power = (*store)->devices().EnsureSeries(scope, {device->id, "power_ac", "W", store::SeriesKind::kGauge});
        auto today = (*store)->devices().EnsureSeries(scope, {device->id, "energy_today", "kWh", store::SeriesKind::kCounter});
        Must(power, "series");
        Must(today, "series");
        series.emplace_back(power->id, today->id);
    }
    tsdb::EngineOptions options;
    options.log_dir = dir / "m.db-log";
    options.checkpoint_interval_ms = 1'000'000'000'000;
    auto engine = tsdb::LocalEngine::Open((*store)->chunks(), clock, options);
    Must(engine, "engine");

    const auto load_start = std::chrono::steady_clock::now();
    std::vector<double> energy(kInverters, 0);
    std::vector<tsdb::SeriesSample> batch;
    auto write = [&](std::int64_t from, std::int64_t to) {
        for (std::int64_t ts = from; ts < to; ts += kMinute) {
            for (int i = 0; i < kInverters; ++i) {
                const double w = Power(i, ts);
                if ((ts + 3'600'000) % kDay == 0) energy[i] = 0;  // local midnight: the daily counter resets
                energy[i] += w / 60'000.0;
                batch.push_back({series[i].first, ts, w});
                batch.push_back({series[i].second, ts, std::round(energy[i] * 100) / 100});
            }
            if (batch.size() >= 20'000) {
                Must((*engine)->Write(scope, batch), "write");
                batch.clear();
            }
        }
        Must((*engine)->Write(scope, batch), "write");
        batch.clear();
    };
    write(kT0, kEnd - kDay / 2);
    Must((*engine)->Checkpoint(), "checkpoint");
    write(kEnd - kDay / 2, kNow);
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
    const std::int64_t samples = (kNow - kT0) / kMinute * kInverters * 2;
    fmt::print("figures_bench: {} inverters, {:.1f} M samples (1 year of 1-minute power and daily counter each), "
               "loaded in {:.1f} s; {} repetitions per figure\n",
               kInverters, samples / 1e6, load_s, reps);

    const TimeZone zone = *TimeZone::Find("Europe/Berlin");
    const domain::InverterFigures figures(**engine, scope, zone);
    auto inverters = domain::ListInverters((*store)->repositories(), scope);
    Must(inverters, "inverters");
    std::mt19937_64 random(7);

    double checksum = 0;
    if (std::getenv("MH_FIGURES_BREAKDOWN")) {  // where the today page's time goes, per call
        const auto& one = (*inverters)[std::getenv("MH_FIGURES_INVERTER") ? std::atoi(std::getenv("MH_FIGURES_INVERTER")) : 0];
        const std::int64_t day_start = ToMillis(zone.StartOfDay(FromMillis(kNow)));
        auto show = [&](const char* what, const std::function<void()>& f) {
            const auto p = Time(reps, f);
            fmt::print("  breakdown {:<40} p50 {:7.3f} ms\n", what, p.p50);
        };
        show("ListInverters", [&] { checksum += static_cast<double>(domain::ListInverters((*store)->repositories(), scope)->size()); });
        show("ReadRaw today (power)", [&] { checksum += static_cast<double>((*engine)->ReadRaw(scope, *one.power, day_start, kNow)->size()); });
        show("Latest (power)", [&] { checksum += (*engine)->Latest(scope, *one.power)->has_value(); });
        show("ReadRollups hour today (counter)", [&] { checksum += static_cast<double>((*engine)->ReadRollups(scope, *one.energy_today, 3600, day_start, kNow)->size()); });
        show("EnergyBetween today (counter)", [&] { checksum += *tsdb::EnergyBetween(**engine, scope, *one.energy_today, day_start, kNow); });
        show("Today (one inverter)", [&] { checksum += figures.Today(one)->energy_kwh; });
        show("Today (each of the 10 in turn)", [&] {
            for (const auto& inv : *inverters) checksum += figures.Today(inv)->energy_kwh;
        });
        show("Today (span of 10)", [&] { checksum += figures.Today(*inverters)->total.energy_kwh; });
    }
    const auto today = Time(reps, [&] {
        auto list = domain::ListInverters((*store)->repositories(), scope);
        auto t = figures.Today(*list);
        checksum += t->total.energy_kwh;
    });
    const auto chart = Time(reps, [&] {
        const auto& one = (*inverters)[random() % kInverters];
        auto curve = figures.Power(std::span(&one, 1), kNow - 365 * kDay, kNow);
        checksum += static_cast<double>(curve->points.size());
    });
    const auto tenant_chart = Time(reps, [&] {
        auto curve = figures.Power(*inverters, kNow - 365 * kDay, kNow);
        checksum += static_cast<double>(curve->points.size());
    });
    const auto day_chart = Time(reps, [&] {
        const auto& one = (*inverters)[random() % kInverters];
        auto curve = figures.Power(std::span(&one, 1), kNow - kDay, kNow);
        checksum += static_cast<double>(curve->points.size());
    });
    const auto year_bars = Time(reps, [&] {
        auto bars = figures.Energy(*inverters, domain::InverterFigures::Span::kYear, FromMillis(kEnd - kDay));
        checksum += static_cast<double>(bars->bars.size());
    });
    auto row = [](const char* what, const Percentiles& p, const char* target) {
        fmt::print("  {:<46} p50 {:7.3f} ms  p99 {:7.3f} ms  max {:7.3f} ms  {}\n", what, p.p50, p.p99, p.max, target);
    };
    row("today page (10 inverters + totals)", today, today.p99 <= 5 ? "(target <= 5 ms: met)" : "(target <= 5 ms: MISSED)");
    row("1-year power chart, one inverter", chart, chart.p99 <= 20 ? "(target <= 20 ms: met)" : "(target <= 20 ms: MISSED)");
    row("1-year power chart, tenant sum of 10", tenant_chart, "");
    row("24-hour power chart, one inverter", day_chart, "");
    row("energy per month of a year, tenant sum", year_bars, "");

    // The web pages over the same data: server time from request to rendered HTML (web::Site, no socket).
    auto user = (*store)->users().CreateUser({"bench@example.org", "", "x", false});
    Must(user, "user");
    Must((*store)->users().SetMember(tenant->id, user->id, Role::kOwner), "member");
    const std::string cookie = domain::RandomHex(32);
    Must((*store)->auth().CreateSession(domain::Sha256Hex(cookie), user->id, domain::RandomHex(16), FromMillis(kNow + kDay)),
         "session");
    web::LiveHub live;
    domain::Devices devices((*store)->devices(), engine->get());
    web::SiteOptions site_options;
    site_options.login_limits = std::make_shared<domain::LoginLimits>(clock, 5);
    web::Site site((*store)->repositories(), **engine, devices, clock,
                   [](const std::string&, const std::string&, const std::string&) {}, live, site_options);
    std::size_t html_bytes = 0;
    auto page = [&](const std::string& path) {
        return Time(reps, [&] {
            net::Request request;
            request.path = path;
            request.target = path;
            request.headers = {{"cookie", "mh_session=" + cookie}, {"accept-language", "en"}};
            site.Handle(std::move(request), [&](net::Response response) {
                if (response.status != 200) throw std::runtime_error(path + ": status " + std::to_string(response.status));
                html_bytes = response.body.size();
            });
        });
    };
    const std::string tenant_path = "/t/" + std::to_string(tenant->id.value());
    const auto dashboard =
        page(tenant_path + "/inverters/" + std::to_string((*inverters)[0].device.id.value()));
    const std::size_t dashboard_bytes = html_bytes;
    const auto home = page(tenant_path);
    row("dashboard page HTML (one inverter)", dashboard,
        dashboard.p99 <= 5 ? "(target <= 5 ms: met)" : "(target <= 5 ms: MISSED)");
    row("home page HTML (10 inverters + totals)", home, "");
    std::size_t shipped = 0;
    for (const char* name : {"vendor/pico.min.css", "vendor/uPlot.min.css", "app.css", "vendor/htmx.min.js",
                             "vendor/uPlot.iife.min.js", "app.js"}) {
        shipped += site.assets().GzipSize(name);
    }
    fmt::print("  dashboard HTML {:.1f} KiB; JS+CSS shipped {:.1f} KiB gzip {}\n", dashboard_bytes / 1024.0,
               shipped / 1024.0, shipped <= 150 * 1024 ? "(budget <= 150 KiB: met)" : "(budget <= 150 KiB: MISSED)");
    live.Close();
    fmt::print("  (checksum {:.0f})\n", checksum);
    Must((*engine)->Close(), "close");
    std::filesystem::remove_all(dir);
    return 0;
}

}  // namespace
}  // namespace mh

int main(int argc, char** argv) {
    return mh::Run(argc > 1 ? std::atoi(argv[1]) : 200);
}
