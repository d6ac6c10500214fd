// sim opendtu: simulated OpenDTUs pushing their inverters over HTTP to meterhub (with a tenant's API key), or
// publishing upstream OpenDTU's MQTT topics to a broker (--mqtt).
#include <CLI/CLI.hpp>
#include <iostream>
#include <stop_token>
#include <thread>

#include "cli/command.hpp"
#include "cli/signals.hpp"
#include "sim/opendtu_pusher.hpp"

namespace mh::cli {
namespace {

struct OpenDtuArgs {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: 8080, or 1883 with --mqtt
    std::string key;
    bool mqtt = false;
    std::string base_topic = "solar/";
    int dtus = 1;
    int inverters = 2;
    double interval_s = 60;
    std::uint64_t first_serial = 116'100'000'000;
    std::int64_t rounds = 0;
    std::string zone = "UTC";
};

int Run(const OpenDtuArgs& args) {
    sim::OpenDtuSimOptions o;
    o.host = args.host;
    o.port = static_cast<std::uint16_t>(args.port != 0 ? args.port : args.mqtt ? 1883 : 8080);
    o.mqtt = args.mqtt;
    o.api_key = args.key;
    o.base_topic = args.base_topic;
    o.dtus = static_cast<std::size_t>(args.dtus);
    o.inverters = static_cast<std::size_t>(args.inverters);
    o.interval = std::chrono::milliseconds(static_cast<std::int64_t>(args.interval_s * 1000));
    o.first_serial = args.first_serial;
    o.rounds = static_cast<std::uint64_t>(args.rounds);
    auto zone = TimeZone::Find(args.zone);
    if (!zone) return Fail(zone.error());
    o.zone = *zone;
    if (auto valid = o.Validate(); !valid) return Fail(valid.error());

    BlockSignals();
    SystemClock clock;
    sim::OpenDtuSimStats stats;
    std::stop_source stop;
    Status result = Ok();
    std::atomic<bool> finished{false};
    std::thread runner([&] {
        result = sim::RunOpenDtuSim(o, clock, stats, stop.get_token());
        finished = true;
    });
    std::cout << "sim opendtu: " << args.dtus << " DTUs x " << args.inverters << " inverters (serials "
              << sim::InverterSerial(o, 0, 0) << "..) " << (args.mqtt ? "publishing to MQTT broker " : "pushing to http://")
              << o.host << ":" << o.port << (args.mqtt ? " under " + o.base_topic : "/api/opendtu/measurements")
              << std::endl;
    const auto report = [&] {
        std::cout << (args.mqtt ? "published " : "stored ") << stats.pushes.load() << " rounds, failed "
                  << stats.failures.load() << std::endl;
    };
    WaitForSignalOr([&] { return finished.load(); }, report, 1);
    stop.request_stop();
    runner.join();
    report();
    if (!result) return Fail(result.error());
    if (stats.failures.load() > 0) {
        return Fail(MakeError(Errc::kDataLoss, std::to_string(stats.failures.load()) + " pushes failed"));
    }
    return 0;
}

}  // namespace

void AddSimOpenDtuCommand(CLI::App& sim, Action& action) {
    auto args = std::make_shared<OpenDtuArgs>();
    auto* cmd = sim.add_subcommand("opendtu", "Simulated OpenDTUs: HTTP push with an API key, or MQTT topics (--mqtt)");
    cmd->add_option("--dtus", args->dtus, "How many DTUs")->capture_default_str()->check(CLI::Range(1, 100000));
    cmd->add_option("--inverters", args->inverters, "Inverters per DTU")->capture_default_str()->check(CLI::Range(1, 100));
    cmd->add_option("--interval", args->interval_s, "Seconds between pushes")->capture_default_str();
    cmd->add_option("--host", args->host, "meterhub's (or with --mqtt the broker's) address")->capture_default_str();
    cmd->add_option("--port", args->port, "Port (default 8080, or 1883 with --mqtt)")->check(CLI::Range(0, 65535));
    cmd->add_option("--key", args->key, "The tenant's device API key (HTTP push)");
    cmd->add_flag("--mqtt", args->mqtt, "Publish upstream OpenDTU topics to an MQTT broker instead");
    cmd->add_option("--base-topic", args->base_topic, "MQTT base topic")->capture_default_str();
    cmd->add_option("--first-serial", args->first_serial, "Serial of the first inverter")->capture_default_str();
    cmd->add_option("--rounds", args->rounds, "Pushes per DTU, then stop (0: until Ctrl-C)")->capture_default_str();
    cmd->add_option("--zone", args->zone, "Time zone of the simulated daylight")->capture_default_str();
    cmd->callback([&action, args] { action = [args](const Config&) { return Run(*args); }; });
}

}  // namespace mh::cli
