#include "cli/demo_loggers.hpp"

#include <spdlog/spdlog.h>

#include "cli/demo_daylight.hpp"
#include "domain/access.hpp"

namespace mh::cli {

Result<std::unique_ptr<DemoLoggers>> DemoLoggers::Start(Runtime& rt, TenantId tenant, std::uint16_t port,
                                                        std::chrono::milliseconds interval) {
    const auto scope = domain::Access::ForOperator(tenant);
    for (int i = 0; i < kDemoLoggers; ++i) {
        const std::string serial = std::to_string(kDemoFirstLoggerSerial + static_cast<std::uint32_t>(i));
        if (rt.store->devices().FindDeviceBySerial(scope, serial)) continue;
        MH_ASSIGN_OR_RETURN(auto device, rt.store->devices().CreateDevice(scope, {"Balcony micro " + std::to_string(i + 1),
                                                                        "solarman", serial, "", ""}));
        spdlog::info("demo: registered Solarman logger {} as '{}'", serial, device.name);
    }
    sim::PusherOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.loggers = kDemoLoggers;
    options.first_logger_serial = kDemoFirstLoggerSerial;
    options.interval = interval;
    options.reply_check.zone = DemoDaylightZone(rt.clock.Now());  // the sun shines in the demo
    MH_RETURN_IF_ERROR(options.Validate());
    std::unique_ptr<DemoLoggers> loggers(new DemoLoggers());
    loggers->runner_ = std::jthread([options, &clock = rt.clock, stats = &loggers->stats_](std::stop_token stop) {
        if (auto status = sim::RunSolarmanPushers(options, clock, *stats, stop); !status) {
            spdlog::warn("demo: simulated loggers stopped: {}", status.error().message);
        }
    });
    return loggers;
}

DemoLoggers::~DemoLoggers() {
    runner_.request_stop();
    if (runner_.joinable()) runner_.join();
}

}  // namespace mh::cli
