// SolarmanCollector: the service behind the logger port (default 10000). Each connection cuts its byte stream
// into V5 frames (Framer), and every frame is handled on a worker thread, one at a time per connection:
//
//   hello      -> firmware and sensor type remembered; device facts updated; acknowledged
//   data       -> decoded through the device's field map into samples, written through the engine, and
//                 acknowledged once durable (a logger that gets no reply sends the frame again, as historic)
//   heartbeat, info, hello end, unknown logger messages -> acknowledged (loggers keep streaming and get the time)
//   replies and requests (0x05/0x1x/0x45) -> ignored; a server never acknowledges those
//
// The logger serial (u32, decimal) names the device (source "solarman"). Unknown serials are acknowledged too,
// and recorded as unclaimed devices (DeviceDirectory) for a tenant to claim.
//
// Time: real-time frames are stored at the receive time. Historic (0x81) frames carry the logger's clock; the
// collector learns each logger's clock error from its real-time frames and corrects historic times by it, and
// drops a historic frame whose corrected time is in the future or older than `historic_max_age`, so a logger
// clock off by hours cannot write into the wrong part of a series.
//
// Garbage: a connection whose first bytes are not a frame, or that sends `max_bad_frames` bad frames in a row,
// is closed; only that connection.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "collect/device_directory.hpp"
#include "collect/field_map_catalog.hpp"
#include "core/clock.hpp"
#include "core/executor.hpp"
#include "core/work_group.hpp"
#include "ingest/solarman/frame.hpp"
#include "ingest/solarman/reply.hpp"
#include "net/stream_server.hpp"
#include "store/database.hpp"
#include "tsdb/engine.hpp"

namespace mh::collect {

struct SolarmanOptions {
    std::size_t max_buffer = 16 * 1024;  // per connection, bytes of frames not yet complete
    int max_bad_frames = 3;              // in a row
    std::chrono::milliseconds historic_max_age = std::chrono::hours(24 * 30);
    std::chrono::milliseconds max_clock_ahead = std::chrono::minutes(5);
    ingest::solarman::ReplyOptions reply;
    DirectoryOptions directory;
};

struct SolarmanStats {
    std::uint64_t connections = 0;
    std::uint64_t frames = 0;
    std::uint64_t replies = 0;
    std::uint64_t data_frames = 0;
    std::uint64_t samples = 0;
    std::uint64_t unclaimed_frames = 0;
    std::uint64_t bad_frames = 0;        // failed the framer's checks
    std::uint64_t undecodable = 0;       // valid frames whose payload could not be decoded (still acknowledged)
    std::uint64_t dropped_historic = 0;  // historic frames with implausible times
    std::uint64_t write_failures = 0;
};

class SolarmanCollector final : public net::StreamHandler {
  public:
    // Frames that need the store run on `workers` (the Runtime's pool), which must outlive the collector.
    SolarmanCollector(store::Repositories store, tsdb::Engine& engine, const Clock& clock, const FieldMapCatalog& maps,
                      Executor& workers, SolarmanOptions options = {});
    ~SolarmanCollector() override;  // waits for frames in flight; stop the StreamServer first
    SolarmanCollector(const SolarmanCollector&) = delete;
    SolarmanCollector& operator=(const SolarmanCollector&) = delete;

    std::unique_ptr<net::StreamProtocol> Open(std::shared_ptr<net::StreamLink> link) override;
    SolarmanStats stats() const;

    class Connection;  // solarman_connection.cpp

    // A device with this serial was registered, edited or deleted: the next frame looks it up afresh.
    void Forget(std::string_view source, std::string_view serial) { directory_.Forget(source, serial); }

  private:
    friend class Connection;
    struct Counters {
        std::atomic<std::uint64_t> connections{0}, frames{0}, replies{0}, data_frames{0}, samples{0},
            unclaimed_frames{0}, bad_frames{0}, undecodable{0}, dropped_historic{0}, write_failures{0};
    };

    // The logger clock's error (device time - receive time), learned from real-time frames.
    void NoteClockError(std::uint32_t serial, std::int64_t error_ms);
    std::optional<std::int64_t> ClockError(std::uint32_t serial);

    store::Repositories store_;
    tsdb::Engine& engine_;
    const Clock& clock_;
    const FieldMapCatalog& maps_;
    const SolarmanOptions options_;
    DeviceDirectory directory_;
    Counters counters_;
    std::mutex clock_errors_mutex_;
    std::unordered_map<std::uint32_t, std::int64_t> clock_errors_;
    WorkGroup work_;  // last: the frames in flight use the members above
};

}  // namespace mh::collect
