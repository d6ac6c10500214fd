// The demo's OpenDTU: two Hoymiles inverters registered in the demo tenant, pushed by the OpenDTU simulator to
// serve's own HTTP port with a device API key of the demo tenant, so the demo's data takes the real path (HTTP,
// API key, push contract, engine).
#pragma once

#include <chrono>
#include <memory>
#include <thread>

#include "cli/runtime.hpp"
#include "sim/opendtu_pusher.hpp"

namespace mh::cli {

inline constexpr std::uint64_t kDemoFirstInverterSerial = 116'199'990'000;
inline constexpr int kDemoDtuInverters = 2;

class DemoDtu {
  public:
    // Registers the inverters in `tenant` (once), replaces the demo's API key and starts pushing to
    // 127.0.0.1:`http_port` every `interval`.
    static Result<std::unique_ptr<DemoDtu>> Start(Runtime& rt, TenantId tenant, std::uint16_t http_port,
                                                  std::chrono::milliseconds interval);
    ~DemoDtu();  // stops pushing

  private:
    DemoDtu() = default;
    sim::OpenDtuSimStats stats_;
    std::jthread runner_;
};

}  // namespace mh::cli
