#include "cli/demo_dtu.hpp"

#include <spdlog/spdlog.h>

#include "cli/demo_daylight.hpp"
#include "domain/access.hpp"
#include "domain/api_keys.hpp"

namespace mh::cli {
namespace {

constexpr const char* kDemoKeyName = "demo opendtu";

}  // namespace

Result<std::unique_ptr<DemoDtu>> DemoDtu::Start(Runtime& rt, TenantId tenant, std::uint16_t http_port,
                                                std::chrono::milliseconds interval) {
    const auto scope = domain::Access::ForOperator(tenant);
    sim::OpenDtuSimOptions options;
    options.port = http_port;
    options.inverters = kDemoDtuInverters;
    options.first_serial = kDemoFirstInverterSerial;
    options.interval = interval;
    options.zone = DemoDaylightZone(rt.clock.Now());  // the sun shines in the demo
    options.seed = 42;
    for (int i = 0; i < kDemoDtuInverters; ++i) {
        const std::string serial = sim::InverterSerial(options, 0, static_cast<std::size_t>(i));
        if (rt.store->devices().FindDeviceBySerial(scope, serial)) continue;
        store::NewDevice device{"Garage HM-800 " + std::to_string(i + 1), "opendtu", serial, "", ""};
        device.rated_power_w = 800;
        device.mppt_count = 2;
        MH_RETURN_IF_ERROR(rt.store->devices().CreateDevice(scope, device));
        spdlog::info("demo: registered OpenDTU inverter {}", serial);
    }
    // A fresh key each start (keys are shown once); the previous run's is revoked.
    MH_ASSIGN_OR_RETURN(auto keys, rt.store->auth().ListApiKeys(scope));
    for (const auto& key : keys) {
        if (key.name == kDemoKeyName && !key.revoked_at) MH_RETURN_IF_ERROR(rt.store->auth().RevokeApiKey(scope, key.id));
    }
    const auto generated = domain::GenerateApiKey();
    MH_RETURN_IF_ERROR(rt.store->auth().CreateApiKey(scope, kDemoKeyName, generated.prefix, generated.secret_hash));
    options.api_key = generated.plaintext;
    MH_RETURN_IF_ERROR(options.Validate());

    std::unique_ptr<DemoDtu> dtu(new DemoDtu());
    dtu->runner_ = std::jthread([options, &clock = rt.clock, stats = &dtu->stats_](std::stop_token stop) {
        if (auto status = sim::RunOpenDtuSim(options, clock, *stats, stop); !status) {
            spdlog::warn("demo: simulated OpenDTU stopped: {}", status.error().message);
        }
    });
    return dtu;
}

DemoDtu::~DemoDtu() {
    runner_.request_stop();
    if (runner_.joinable()) runner_.join();
}

}  // namespace mh::cli
