// sim solarman: simulated Solarman loggers. Push mode (default) connects N loggers to a collector and pushes
// hello, data and heartbeat frames, checking every reply; --listen plays N loggers in pull mode that answer
// Modbus reads from a simulated register image on consecutive ports.
#include <CLI/CLI.hpp>
#include <iostream>
#include <stop_token>
#include <thread>

#include "cli/command.hpp"
#include "cli/signals.hpp"
#include "core/clock.hpp"
#include "core/time_zone.hpp"
#include "ingest/solarman/field_map.hpp"
#include "sim/solar.hpp"
#include "sim/solarman_logger.hpp"
#include "sim/solarman_pusher.hpp"

namespace mh::cli {
namespace {

struct SolarmanArgs {
    std::string host = "127.0.0.1";
    int port = 10000;
    int loggers = 1;
    double interval_s = 60;
    std::string layout = "deye_micro";
    std::uint32_t first_serial = 4'100'000'000;
    std::int64_t frames = 0;
    bool listen = false;
    std::string map = "deye_micro_modbus";
    int threads = 2;
};

int Push(const SolarmanArgs& args) {
    sim::PusherOptions options;
    options.host = args.host;
    options.port = static_cast<std::uint16_t>(args.port);
    options.loggers = static_cast<std::size_t>(args.loggers);
    options.interval = std::chrono::milliseconds(static_cast<std::int64_t>(args.interval_s * 1000));
    options.first_logger_serial = args.first_serial;
    options.data_frames_per_logger = static_cast<std::uint64_t>(args.frames);
    options.threads = static_cast<std::size_t>(args.threads);
    auto layout = sim::ParsePushLayout(args.layout);
    if (!layout) return Fail(MakeError(Errc::kInvalidArgument, "--layout must be deye_micro or sensor_02b0"));
    options.layout = *layout;
    if (auto valid = options.Validate(); !valid) return Fail(valid.error());

    BlockSignals();
    SystemClock clock;
    sim::PusherStats stats;
    std::stop_source stop;
    Status result = Ok();
    std::thread runner([&] { result = sim::RunSolarmanPushers(options, clock, stats, stop.get_token()); });
    std::cout << "sim solarman: " << args.loggers << " loggers (serials " << args.first_serial << "..) pushing to "
              << args.host << ":" << args.port << std::endl;
    const auto finished = [&] { return args.frames > 0 && stats.loggers_finished.load() >= options.loggers; };
    const auto report = [&] {
        std::cout << "sent " << stats.frames_sent.load() << " frames (" << stats.data_frames_sent.load()
                  << " data), replies ok " << stats.replies_ok.load() << ", bad " << stats.replies_bad.load()
                  << ", timeouts " << stats.reply_timeouts.load() << ", reconnects " << stats.reconnects.load()
                  << std::endl;
    };
    WaitForSignalOr(finished, report);
    stop.request_stop();
    runner.join();
    report();
    if (!result) return Fail(result.error());
    if (stats.replies_bad.load() > 0) {
        return Fail(MakeError(Errc::kDataLoss, std::to_string(stats.replies_bad.load()) + " replies were wrong"));
    }
    return 0;
}

int Listen(const SolarmanArgs& args) {
    auto map = ingest::solarman::BuiltinFieldMap(args.map);
    if (!map) return Fail(map.error());
    if (map->layout != ingest::solarman::MapLayout::kHoldingRegisters) {
        return Fail(MakeError(Errc::kInvalidArgument, "--map must be a register map, e.g. deye_micro_modbus"));
    }
    BlockSignals();
    SystemClock clock;
    std::vector<std::unique_ptr<sim::SolarmanLogger>> loggers;
    std::vector<sim::SolarInverter> inverters;
    for (int i = 0; i < args.loggers; ++i) inverters.emplace_back(800.0, 7 + i);
    const auto refresh = [&] {
        for (std::size_t i = 0; i < loggers.size(); ++i) {
            auto image = sim::SimulatedRegisters(*map, inverters[i], 800.0, clock.Now(), TimeZone::Utc(),
                                                 "SIM" + std::to_string(args.first_serial + i));
            if (image) loggers[i]->SetRegisters(std::move(*image));
        }
    };
    for (int i = 0; i < args.loggers; ++i) {
        sim::LoggerOptions options;
        options.address = args.host;
        options.port = static_cast<std::uint16_t>(args.port == 0 ? 0 : args.port + i);
        options.logger_serial = args.first_serial + static_cast<std::uint32_t>(i);
        auto logger = sim::SolarmanLogger::Start(options);
        if (!logger) return Fail(logger.error());
        std::cout << "sim solarman: logger " << options.logger_serial << " answers Modbus reads on " << args.host << ":"
                  << (*logger)->port() << " (" << args.map << ")" << std::endl;
        loggers.push_back(std::move(*logger));
    }
    refresh();
    WaitForSignalOr([] { return false; }, refresh);
    for (auto& logger : loggers) logger->Stop();
    return 0;
}

}  // namespace

void AddSimSolarmanCommand(CLI::App& sim, Action& action) {
    auto args = std::make_shared<SolarmanArgs>();
    auto* cmd = sim.add_subcommand("solarman", "Simulated Solarman V5 loggers (push to a collector, or --listen)");
    cmd->add_option("--loggers", args->loggers, "How many loggers")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    cmd->add_option("--interval", args->interval_s, "Seconds between data frames (0: as fast as acknowledged)")
        ->capture_default_str();
    cmd->add_option("--host", args->host, "Collector address (push) or address to listen on (--listen)")
        ->capture_default_str();
    cmd->add_option("--port", args->port, "Collector port (push) or first port to listen on (--listen)")
        ->capture_default_str()
        ->check(CLI::Range(0, 65535));
    cmd->add_option("--layout", args->layout, "Push layout: deye_micro or sensor_02b0")->capture_default_str();
    cmd->add_option("--first-serial", args->first_serial, "Serial of the first logger")->capture_default_str();
    cmd->add_option("--frames", args->frames, "Data frames per logger, then stop (0: until Ctrl-C)")
        ->capture_default_str();
    cmd->add_option("--threads", args->threads, "Client threads (push mode)")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    cmd->add_flag("--listen", args->listen, "Pull mode: answer Modbus reads like a logger on the LAN");
    cmd->add_option("--map", args->map, "Register map for --listen")->capture_default_str();
    cmd->callback(
        [&action, args] { action = [args](const Config&) { return args->listen ? Listen(*args) : Push(*args); }; });
}

}  // namespace mh::cli
