// DeviceDirectory: what a collector needs to know about the devices that talk to it, cached.
//
// A frame names a device by its serial. The directory answers "whose is it?" (the registered device, or none:
// then the sighting is recorded as an unclaimed device, at most once per `unclaimed_flush` per serial, with the
// frames counted in between) and "which series holds this metric?" (created on first use). Answers are cached
// for `refresh`, so a claim, a new device or a deletion takes effect within that time without a store read per
// frame; Forget() drops an entry at once (after a write found the device gone).
//
// Thread-safe; calls the store (blocking) on a cache miss, so call it from worker threads, not I/O threads.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/tenant_scope.hpp"
#include "store/database.hpp"

namespace mh::collect {

struct DirectoryOptions {
    std::chrono::milliseconds refresh{30'000};
    std::chrono::milliseconds unclaimed_flush{10'000};
};

class DeviceDirectory {
  public:
    DeviceDirectory(store::Repositories store, const Clock& clock, DirectoryOptions options = {});

    // The registered device, or nullopt after recording the sighting as unclaimed.
    Result<std::optional<store::Device>> Lookup(std::string_view source, std::string_view serial,
                                                std::string_view remote_address, std::string_view details = "");
    Result<SeriesId> SeriesFor(const store::Device& device, std::string_view metric, std::string_view unit,
                               store::SeriesKind kind);
    // Stores what the device said about itself, when it differs from what is known.
    Status UpdateFacts(const store::Device& device, const store::DeviceFacts& facts);
    // What of `facts` differs from what `device` holds (empty: nothing to store).
    static store::DeviceFacts NewFacts(const store::Device& device, const store::DeviceFacts& facts);
    void Forget(std::string_view source, std::string_view serial);
    // Writes the frame counts of unclaimed devices not yet recorded (at shutdown).
    void Flush();

  private:
    struct Entry {
        std::optional<store::Device> device;
        Timestamp fetched;
        // Unclaimed only: frames since the last recording, and when that was.
        std::int64_t unrecorded_frames = 0;
        std::optional<Timestamp> recorded;
        std::string remote_address;
        std::string details;
    };
    static std::string Key(std::string_view source, std::string_view serial);
    static std::string SeriesKey(DeviceId device, std::string_view metric);

    store::Repositories store_;
    const Clock& clock_;
    const DirectoryOptions options_;
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> devices_;
    std::unordered_map<std::string, SeriesId> series_;
};

}  // namespace mh::collect
