#include "collect/solarman_pollers.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "collect/report_samples.hpp"
#include "collect/solarman_poller.hpp"
#include "domain/access.hpp"

namespace mh::collect {

struct SolarmanPollers::Running {
    std::string signature;  // what the poller was started with; a change restarts it
    std::string job;        // its name on the scheduler
    std::unique_ptr<SolarmanPoller> poller;
};

namespace {

constexpr const char* kRescanJob = "solarman-poll-rescan";

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
                                 const FieldMapCatalog& maps, jobs::Scheduler& scheduler, PollersOptions options)
    : store_(store),
      engine_(engine),
      clock_(clock),
      maps_(maps),
      scheduler_(scheduler),
      options_(std::move(options)),
      directory_(store, clock) {
    // Local: every instance keeps its own list of poll jobs; the jobs' leases decide who polls.
    scheduler_.Add(jobs::JobSpec{kRescanJob, options_.rescan, options_.rescan, false, [this] { return Rescan(); }});
}

SolarmanPollers::~SolarmanPollers() {
    scheduler_.Remove(kRescanJob);  // waits for a rescan in progress, so none starts pollers after this
    std::map<std::int64_t, std::unique_ptr<Running>> running;
    {
        std::lock_guard lock(mutex_);
        running.swap(running_);
    }
    for (auto& [id, poller] : running) StopPoller(*poller);
}

std::size_t SolarmanPollers::active() const {
    std::lock_guard lock(mutex_);
    return running_.size();
}

Status SolarmanPollers::Rescan() {
    std::lock_guard rescan_lock(rescan_mutex_);
    std::map<std::int64_t, store::Device> wanted;
    MH_ASSIGN_OR_RETURN(auto tenants, store_.tenants().ListTenants());
    for (const auto& tenant : tenants) {
        auto devices = store_.devices().ListDevices(domain::Access::ForOperator(tenant.id));
        if (!devices) continue;
        for (auto& d : *devices) {
            if (d.source == "solarman" && !d.poll_address.empty()) wanted.emplace(d.id.value(), std::move(d));
        }
    }
    std::vector<std::unique_ptr<Running>> gone;
    {
        std::lock_guard lock(mutex_);
        for (auto it = running_.begin(); it != running_.end();) {
            auto want = wanted.find(it->first);
            if (want == wanted.end() || Signature(want->second) != it->second->signature) {
                gone.push_back(std::move(it->second));
                it = running_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& running : gone) StopPoller(*running);
    for (const auto& [id, device] : wanted) {
        {
            std::lock_guard lock(mutex_);
            if (running_.contains(id)) continue;
        }
        auto started = StartPoller(device);
        if (!started) continue;
        std::lock_guard lock(mutex_);
        running_.emplace(id, std::move(started));
    }
    return Ok();
}

void SolarmanPollers::StopPoller(Running& running) {
    running.poller->Stop();             // ends a poll in progress promptly
    scheduler_.Remove(running.job);     // and waits for it
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
    running->job = "solarman-poll/" + std::to_string(device.id.value());
    running->poller = std::move(*poller);
    spdlog::info("solarman: polling logger {} at {} every {} s ({})", device.serial, device.poll_address,
                 options_.interval.count() / 1000, target->map.name);
    PollCallbacks callbacks;
    callbacks.on_report = [this, known = std::make_shared<store::Device>(device),
                           cache = std::make_shared<SeriesCache>()](const DataReport& report, Timestamp received) {
        store::Device& polled = *known;  // only this poller's job touches it, one run at a time
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
    scheduler_.Add(jobs::JobSpec{running->job, options_.interval, options_.interval, true,
                                 [this, poller = running->poller.get(), callbacks]() -> Status {
                                     PollAndReport(*poller, clock_, callbacks);
                                     return Ok();  // a failed poll is logged by PollAndReport, not a failed job
                                 }});
    return running;
}

}  // namespace mh::collect
