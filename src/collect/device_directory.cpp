#include "collect/device_directory.hpp"

#include <spdlog/spdlog.h>

#include "domain/access.hpp"

namespace mh::collect {

DeviceDirectory::DeviceDirectory(store::Repositories store, const Clock& clock, DirectoryOptions options)
    : store_(store), clock_(clock), options_(options) {}

std::string DeviceDirectory::Key(std::string_view source, std::string_view serial) {
    std::string key(source);
    key += '\n';
    key += serial;
    return key;
}

std::string DeviceDirectory::SeriesKey(DeviceId device, std::string_view metric) {
    return std::to_string(device.value()) + '\n' + std::string(metric);
}

Result<std::optional<store::Device>> DeviceDirectory::Lookup(std::string_view source, std::string_view serial,
                                                             std::string_view remote_address,
                                                             std::string_view details) {
    const Timestamp now = clock_.Now();
    const std::string key = Key(source, serial);
    std::unique_lock lock(mutex_);
    auto it = devices_.find(key);
    if (it == devices_.end() || now - it->second.fetched >= options_.refresh) {
        lock.unlock();  // the store read must not stall other connections' lookups
        auto found = store_.devices().FindDeviceBySource(source, serial);
        if (!found && found.error().code != Errc::kNotFound) return found.error();
        lock.lock();
        Entry& entry = devices_[key];
        entry.device = found ? std::optional<store::Device>(std::move(*found)) : std::nullopt;
        entry.fetched = now;
        it = devices_.find(key);
    }
    Entry& entry = it->second;
    if (entry.device) return entry.device;

    ++entry.unrecorded_frames;
    entry.remote_address = std::string(remote_address);
    if (!details.empty()) entry.details = std::string(details);
    if (entry.recorded && now - *entry.recorded < options_.unclaimed_flush && details.empty()) return std::nullopt;
    store::DeviceSighting sighting{std::string(source),     std::string(serial), entry.remote_address, now,
                                   entry.unrecorded_frames, std::string(details)};
    if (!entry.recorded) spdlog::info("{}: unclaimed device {} connected from {}", source, serial, remote_address);
    entry.unrecorded_frames = 0;
    entry.recorded = now;
    lock.unlock();
    MH_RETURN_IF_ERROR(store_.devices().RecordUnclaimed(sighting));
    return std::nullopt;
}

Result<SeriesId> DeviceDirectory::SeriesFor(const store::Device& device, std::string_view metric, std::string_view unit,
                                            store::SeriesKind kind) {
    const std::string key = SeriesKey(device.id, metric);
    {
        std::lock_guard lock(mutex_);
        if (auto it = series_.find(key); it != series_.end()) return it->second;
    }
    const auto scope = domain::Access::ForDeviceKey(device.tenant);
    MH_ASSIGN_OR_RETURN(auto series,
                        store_.devices().EnsureSeries(scope, {device.id, std::string(metric), std::string(unit), kind}));
    std::lock_guard lock(mutex_);
    series_[key] = series.id;
    return series.id;
}

store::DeviceFacts DeviceDirectory::NewFacts(const store::Device& device, const store::DeviceFacts& facts) {
    store::DeviceFacts changed;
    if (facts.firmware && !facts.firmware->empty() && *facts.firmware != device.firmware) {
        changed.firmware = facts.firmware;
    }
    if (facts.rated_power_w && facts.rated_power_w != device.rated_power_w) changed.rated_power_w = facts.rated_power_w;
    return changed;
}

Status DeviceDirectory::UpdateFacts(const store::Device& device, const store::DeviceFacts& facts) {
    const store::DeviceFacts changed = NewFacts(device, facts);
    if (!changed.firmware && !changed.rated_power_w) return Ok();
    MH_RETURN_IF_ERROR(store_.devices().SetDeviceFacts(domain::Access::ForDeviceKey(device.tenant), device.id, changed));
    std::lock_guard lock(mutex_);
    if (auto it = devices_.find(Key(device.source, device.serial)); it != devices_.end() && it->second.device) {
        if (changed.firmware) it->second.device->firmware = *changed.firmware;
        if (changed.rated_power_w) it->second.device->rated_power_w = changed.rated_power_w;
    }
    return Ok();
}

void DeviceDirectory::Forget(std::string_view source, std::string_view serial) {
    std::lock_guard lock(mutex_);
    auto it = devices_.find(Key(source, serial));
    if (it == devices_.end()) return;
    if (it->second.device) {
        const std::string prefix = std::to_string(it->second.device->id.value()) + '\n';
        std::erase_if(series_, [&](const auto& item) { return item.first.starts_with(prefix); });
    }
    devices_.erase(it);
}

void DeviceDirectory::Flush() {
    std::vector<store::DeviceSighting> sightings;
    {
        std::lock_guard lock(mutex_);
        const Timestamp now = clock_.Now();
        for (auto& [key, entry] : devices_) {
            if (entry.device || entry.unrecorded_frames == 0) continue;
            const auto split = key.find('\n');
            sightings.push_back(
                {key.substr(0, split), key.substr(split + 1), entry.remote_address, now, entry.unrecorded_frames, ""});
            entry.unrecorded_frames = 0;
        }
    }
    for (const auto& sighting : sightings) {
        if (auto status = store_.devices().RecordUnclaimed(sighting); !status) {
            spdlog::warn("{}: cannot record unclaimed device {}: {}", sighting.source, sighting.serial,
                         status.error().message);
        }
    }
}

}  // namespace mh::collect
