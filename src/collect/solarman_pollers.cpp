#include "collect/solarman_pollers.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "collect/report_samples.hpp"
#include "collect/solarman_poller.hpp"
#include "domain/access.hpp"

namespace mh::collect {

struct SolarmanPollers::Running {
    std::string signature;  // what the poller was started with; a change restarts it
    std::unique_ptr<SolarmanPoller> poller;
    std::jthread thread;

    ~Running() {
        thread.request_stop();
        poller->Stop();
    }
};

namespace {

std::string Signature(const store::Device& d) {
    return d.serial + '\n' + d.poll_address + '\n' + d.model;
}

Result<PollerTarget> TargetOf(const store::Device& device, const FieldMapCatalog& maps,
                              const std::string& default_map) {
    PollerTarget target;
    const auto colon = device.poll_address.rfind(':');
    target.host = device.poll_address.substr(0, colon);
    if (colon != std::string::npos) {
        const auto port_text = std::string_view(device.poll_address).substr(colon + 1);
        const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), target.port);
        if (ec != std::errc() || end != port_text.data() + port_text.size()) {
            return MakeError(Errc::kInvalidArgument, "poll address '" + device.poll_address + "' has a bad port");
        }
    }
    const auto serial = device.serial;
    const auto [end, ec] = std::from_chars(serial.data(), serial.data() + serial.size(), target.logger_serial);
    if (ec != std::errc() || end != serial.data() + serial.size()) {
        return MakeError(Errc::kInvalidArgument, "serial '" + serial + "' is not a logger serial (a decimal number)");
    }
    const std::string map_name = device.model.empty() ? default_map : device.model;
    const auto* map = maps.Find(map_name);
    if (!map) return MakeError(Errc::kNotFound, "no field map named '" + map_name + "'");
    target.map = *map;
    MH_RETURN_IF_ERROR(target.Validate());
    return target;
}

}  // namespace

SolarmanPollers::SolarmanPollers(store::Repositories store, tsdb::Engine& engine, const Clock& clock,
                                 const FieldMapCatalog& maps, PollersOptions options)
    : store_(store),
      engine_(engine),
      clock_(clock),
      maps_(maps),
      options_(std::move(options)),
      directory_(store, clock) {
    scanner_ = std::jthread([this](std::stop_token stop) {
        std::mutex wait_mutex;
        std::condition_variable_any wake;
        while (!stop.stop_requested()) {
            Rescan();
            std::unique_lock lock(wait_mutex);
            wake.wait_for(lock, stop, options_.rescan, [] { return false; });
        }
    });
}

SolarmanPollers::~SolarmanPollers() {
    scanner_.request_stop();
    if (scanner_.joinable()) scanner_.join();
    std::lock_guard lock(mutex_);
    running_.clear();
}

std::size_t SolarmanPollers::active() const {
    std::lock_guard lock(mutex_);
    return running_.size();
}

void SolarmanPollers::Rescan() {
    std::map<std::int64_t, store::Device> wanted;
    auto tenants = store_.tenants().ListTenants();
    if (!tenants) return spdlog::warn("solarman pollers: cannot list tenants: {}", tenants.error().message);
    for (const auto& tenant : *tenants) {
        auto devices = store_.devices().ListDevices(domain::Access::ForOperator(tenant.id));
        if (!devices) continue;
        for (auto& d : *devices) {
            if (d.source == "solarman" && !d.poll_address.empty()) wanted.emplace(d.id.value(), std::move(d));
        }
    }
    std::lock_guard lock(mutex_);
    std::erase_if(running_, [&](const auto& item) {
        auto it = wanted.find(item.first);
        return it == wanted.end() || Signature(it->second) != item.second->signature;
    });
    for (const auto& [id, device] : wanted) {
        if (running_.contains(id)) continue;
        if (auto started = StartPoller(device)) running_.emplace(id, std::move(started));
    }
}

std::unique_ptr<SolarmanPollers::Running> SolarmanPollers::StartPoller(const store::Device& device) {
    auto target = TargetOf(device, maps_, options_.default_map);
    if (!target) {
        spdlog::warn("solarman: cannot poll '{}': {}", device.name, target.error().message);
        return nullptr;
    }
    auto poller = SolarmanPoller::Create(*target);
    if (!poller) {
        spdlog::warn("solarman: cannot poll '{}': {}", device.name, poller.error().message);
        return nullptr;
    }
    auto running = std::make_unique<Running>();
    running->signature = Signature(device);
    running->poller = std::move(*poller);
    spdlog::info("solarman: polling logger {} at {} every {} s ({})", device.serial, device.poll_address,
                 options_.interval.count() / 1000, target->map.name);
    PollLoopCallbacks callbacks;
    callbacks.on_report = [this, known = std::make_shared<store::Device>(device),
                           cache = std::make_shared<SeriesCache>()](const DataReport& report, Timestamp received) {
        store::Device& polled = *known;  // only this poller's thread touches it
        const auto facts = FactsOf(report);
        if (auto updated = directory_.UpdateFacts(polled, facts); !updated) {
            spdlog::warn("solarman: cannot update '{}': {}", polled.name, updated.error().message);
        } else {
            if (facts.firmware) polled.firmware = *facts.firmware;
            if (facts.rated_power_w) polled.rated_power_w = facts.rated_power_w;
        }
        auto samples = SamplesOf(directory_, polled, report, ToMillis(received), *cache);
        if (samples.empty()) return;
        if (auto written = engine_.Write(domain::Access::ForDeviceKey(polled.tenant), samples); !written) {
            spdlog::warn("solarman: samples of '{}' not stored: {}", polled.name, written.error().message);
            cache->ids.clear();
        }
    };
    running->thread = std::jthread([this, poller = running->poller.get(), callbacks](std::stop_token stop) {
        RunPollLoop(*poller, clock_, options_.interval, stop, callbacks);
    });
    return running;
}

}  // namespace mh::collect
