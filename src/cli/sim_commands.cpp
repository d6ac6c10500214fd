// sim: load generators that go through the real write path.
#include <iostream>

#include "cli/command.hpp"
#include "cli/runtime.hpp"
#include "core/time_parse.hpp"
#include "domain/access.hpp"

namespace mh::cli {
namespace {

struct LoadArgs {
    std::string tenant;
    std::int64_t series = 10;
    std::int64_t samples = 1000;  // per series
    std::int64_t batch = 0;       // samples per write; default one time step of every series
    std::int64_t interval_s = 60;
    std::string start = "-30d";
};

// Writes `samples` readings of each of `series` counter series in time order (every series at t, then t+1
// ...), printing "acked N" after each durable batch, so a test can kill it at any point and know what it
// was told is stored.
int Load(const Config& config, const LoadArgs& args) {
    auto rt = Runtime::Open(config, false);
    if (!rt) return Fail(rt.error());
    Runtime& runtime = **rt;
    if (auto status = runtime.OpenEngine(false); !status) return Fail(status.error());
    auto tenant = runtime.store->tenants().FindTenant(args.tenant);
    if (!tenant) {
        tenant = runtime.store->tenants().CreateTenant({args.tenant, "UTC", config.retention.default_raw_days});
        if (!tenant) return Fail(tenant.error());
    }
    const auto scope = domain::Access::ForOperator(tenant->id);
    auto device = runtime.store->devices().FindDeviceBySerial(scope, "SIM-LOAD");
    if (!device) {
        device = runtime.store->devices().CreateDevice(scope, {"Load generator", "generic", "SIM-LOAD", "", ""});
        if (!device) return Fail(device.error());
    }
    std::vector<SeriesId> ids;
    for (std::int64_t i = 0; i < args.series; ++i) {
        auto s = runtime.store->devices().EnsureSeries(
            scope, {device->id, "load." + std::to_string(i), "kWh", store::SeriesKind::kCounter});
        if (!s) return Fail(s.error());
        ids.push_back(s->id);
    }
    auto start = ParseTimeArg(args.start, TimeZone::Utc(), runtime.clock.Now());
    if (!start) return Fail(start.error());
    const std::int64_t batch_size = args.batch > 0 ? args.batch : args.series;
    std::vector<tsdb::SeriesSample> batch;
    std::int64_t acked = 0;
    for (std::int64_t step = 0; step < args.samples; ++step) {
        const std::int64_t ts = ToMillis(*start) + step * args.interval_s * 1000;
        for (std::int64_t i = 0; i < args.series; ++i) {
            batch.push_back(
                {ids[static_cast<std::size_t>(i)], ts, static_cast<double>(step) + 0.5 * static_cast<double>(i)});
            if (static_cast<std::int64_t>(batch.size()) == batch_size) {
                if (auto status = runtime.engine->Write(scope, batch); !status) return Fail(status.error());
                acked += static_cast<std::int64_t>(batch.size());
                std::cout << "acked " << acked << std::endl;
                batch.clear();
            }
        }
    }
    if (!batch.empty()) {
        if (auto status = runtime.engine->Write(scope, batch); !status) return Fail(status.error());
        acked += static_cast<std::int64_t>(batch.size());
        std::cout << "acked " << acked << std::endl;
    }
    if (auto status = runtime.engine->Close(); !status) return Fail(status.error());
    std::cout << "done " << acked << std::endl;
    return 0;
}

}  // namespace

void AddSimCommands(CLI::App& app, Action& action) {
    auto* sim = app.add_subcommand("sim", "Simulators and load generators (also used by tests and benchmarks)");
    sim->require_subcommand(1);
    auto args = std::make_shared<LoadArgs>();
    auto* load = sim->add_subcommand("load", "Write synthetic counter samples in time order through the engine");
    load->add_option("--tenant", args->tenant, "Tenant (created if missing)")->required();
    load->add_option("--series", args->series, "How many series")->capture_default_str()->check(CLI::PositiveNumber);
    load->add_option("--samples", args->samples, "Samples per series")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    load->add_option("--batch", args->batch, "Samples per write (default: one time step of all series)");
    load->add_option("--interval", args->interval_s, "Seconds between a series' samples")->capture_default_str();
    load->add_option("--start", args->start, "Time of the first sample")->capture_default_str();
    load->callback([&action, args] { action = [args](const Config& config) { return Load(config, *args); }; });
    AddSimSolarmanCommand(*sim, action);
    AddSimOpenDtuCommand(*sim, action);
}

}  // namespace mh::cli
