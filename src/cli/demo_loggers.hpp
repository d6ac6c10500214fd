// The demo's Solarman loggers: two micro inverters registered in the demo tenant, played by the push simulator
// against serve's own collector port, so the demo's data takes the real path (TCP, framing, acknowledgements,
// field maps, engine).
#pragma once

#include <chrono>
#include <memory>
#include <thread>

#include "cli/runtime.hpp"
#include "sim/solarman_pusher.hpp"

namespace mh::cli {

inline constexpr std::uint32_t kDemoFirstLoggerSerial = 4'100'000'000;
inline constexpr int kDemoLoggers = 2;

class DemoLoggers {
  public:
    // Registers the loggers in `tenant` (once) and starts pushing to 127.0.0.1:`port` every `interval`.
    static Result<std::unique_ptr<DemoLoggers>> Start(Runtime& rt, TenantId tenant, std::uint16_t port,
                                                      std::chrono::milliseconds interval);
    ~DemoLoggers();  // stops the loggers

  private:
    DemoLoggers() = default;
    sim::PusherStats stats_;
    std::jthread runner_;
};

}  // namespace mh::cli
