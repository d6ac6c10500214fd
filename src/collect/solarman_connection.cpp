// One logger connection: framing on the connection's strand, one frame at a time (the connection is held while
// a frame is in flight, so replies keep the frames' order). A data frame of a logger whose device and series
// this connection already knows is handled on the strand at once: decoding it and handing its samples to the
// writer never wait. Anything that needs the database (a hello, an unknown or unclaimed logger, a new series,
// new device facts) goes to the collector's workers; a frame handled on the strand that turns out to need the
// database is passed on to a worker before it has changed anything.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <variant>

#include "collect/report_samples.hpp"
#include "collect/solarman_collector.hpp"
#include "domain/access.hpp"
#include "ingest/solarman/framer.hpp"
#include "ingest/solarman/logger_info.hpp"
#include "ingest/solarman/payload.hpp"

namespace mh::collect {

namespace solarman = ingest::solarman;

namespace {

constexpr std::string_view kSource = "solarman";
constexpr std::int64_t kTrustedClockErrorMs = 60'000;

}  // namespace

class SolarmanCollector::Connection final : public net::StreamProtocol {
  public:
    Connection(SolarmanCollector& collector, std::shared_ptr<net::StreamLink> link)
        : state_(std::make_shared<State>(collector, std::move(link))) {}

    void OnRead(std::span<const std::uint8_t> bytes) override {
        State& s = *state_;
        if (auto fed = s.framer.Feed(bytes); !fed) return s.Bad(fed.error());
        Pump(state_);
    }

    void OnClose(std::string_view reason) override {
        state_->closed = true;
        spdlog::debug("solarman: {} disconnected: {}", state_->link->remote_address(), reason);
    }

  private:
    // Everything a frame in flight needs; shared with the worker that handles it.
    struct State {
        State(SolarmanCollector& c, std::shared_ptr<net::StreamLink> l)
            : collector(c), link(std::move(l)), framer(c.options_.max_buffer) {}

        void Bad(const Error& error) {
            collector.counters_.bad_frames.fetch_add(1, std::memory_order_relaxed);
            ++bad_in_row;
            if (!spoke_v5 || bad_in_row >= collector.options_.max_bad_frames) {
                spdlog::warn("solarman: closing {}: {}", link->remote_address(), error.message);
                link->Close();
                closed = true;
            }
        }

        SolarmanCollector& collector;
        std::shared_ptr<net::StreamLink> link;
        solarman::Framer framer;
        int bad_in_row = 0;
        bool spoke_v5 = false;
        bool busy = false;
        std::atomic<bool> closed{false};
        // From the hello; read and written by the one worker handling this connection's current frame.
        std::optional<std::uint16_t> sensor_type;
        std::string logger_firmware;
        bool warned_no_map = false;
        SeriesCache series;
        std::optional<store::Device> device;  // see Known()
        std::uint32_t device_serial = 0;
        Timestamp device_fetched;
        std::optional<std::int64_t> noted_clock_error;  // what this connection last told NoteClockError
    };

    // Where a frame is being handled.
    enum class Where { kStrand, kWorker };
    // DataSamples' answers besides the samples.
    struct NothingToStore {};
    struct NeedsWorker {};
    using DataOutcome = std::variant<std::vector<tsdb::SeriesSample>, NothingToStore, NeedsWorker>;

    // On the strand: handles the next complete frame, unless one is in flight.
    static void Pump(const std::shared_ptr<State>& state) {
        State& s = *state;
        while (!s.busy && !s.closed) {
            auto next = s.framer.Next();
            if (!next) {
                s.Bad(next.error());
                continue;
            }
            if (!*next) return;
            auto frame = solarman::DecodeFrame(**next);
            if (!frame) {
                s.Bad(frame.error());
                continue;
            }
            s.spoke_v5 = true;
            s.bad_in_row = 0;
            s.busy = true;
            s.link->Hold();
            s.collector.counters_.frames.fetch_add(1, std::memory_order_relaxed);
            if (Cached(s, *frame)) {
                Handle(state, std::move(*frame), Where::kStrand);
            } else {
                ToWorker(state, std::move(*frame));
            }
        }
    }

    static void ToWorker(const std::shared_ptr<State>& state, solarman::Frame frame) {
        state->collector.work_.Post([state, frame = std::move(frame)](bool run) mutable {
            if (run) Handle(state, std::move(frame), Where::kWorker);
        });
    }

    // Whether the frame is data from the logger whose device this connection knows (see Known()).
    static bool Cached(const State& s, const solarman::Frame& frame) {
        return frame.control == solarman::ControlCode::kData && s.device && s.device_serial == frame.logger_serial &&
               s.collector.clock_.Now() - s.device_fetched < s.collector.options_.directory.refresh;
    }

    // On the strand again: the reply goes out, the next frame may follow.
    static void Complete(const std::shared_ptr<State>& state, std::optional<std::vector<std::uint8_t>> reply,
                         bool close = false) {
        state->link->Post([state, reply = std::move(reply), close]() mutable {
            State& s = *state;
            if (reply) {
                s.collector.counters_.replies.fetch_add(1, std::memory_order_relaxed);  // before the peer can see it
                s.link->Write(std::move(*reply));
            }
            if (close) {
                s.link->Close();
                s.closed = true;
                return;
            }
            s.busy = false;
            Pump(state);
            if (!s.busy) s.link->Release();
        });
    }

    // On a worker, or on the strand for a Cached() frame.
    static void Handle(const std::shared_ptr<State>& state, solarman::Frame frame, Where where) {
        State& s = *state;
        SolarmanCollector& c = s.collector;
        if (!solarman::NeedsReply(frame.control)) return Complete(state, std::nullopt);
        auto reply = solarman::BuildReply(frame, c.clock_.Now(), c.options_.reply);
        std::optional<std::vector<std::uint8_t>> reply_bytes;
        if (reply) reply_bytes = solarman::EncodeFrame(*reply);

        const std::string serial = std::to_string(frame.logger_serial);
        std::string details;
        if (frame.control == solarman::ControlCode::kHello) details = NoteHello(s, frame);
        auto device = Known(s, frame.logger_serial, serial, details, where);
        if (!device) {
            spdlog::warn("solarman: device lookup for logger {} failed: {}", serial, device.error().message);
            return Complete(state, std::nullopt, /*close=*/true);  // no reply: the logger sends it again later
        }
        if (*device == nullptr) {
            c.counters_.unclaimed_frames.fetch_add(1, std::memory_order_relaxed);
            return Complete(state, std::move(reply_bytes));
        }
        const store::Device& known = **device;
        // The inverter's firmware (from data frames) is the device's; the logger's is only a stand-in until then.
        if (frame.control == solarman::ControlCode::kHello && !s.logger_firmware.empty() && known.firmware.empty()) {
            UpdateFacts(s, known, {.firmware = s.logger_firmware}, serial);
        }
        if (frame.control != solarman::ControlCode::kData) return Complete(state, std::move(reply_bytes));

        auto outcome = DataSamples(s, frame, known, where);
        if (std::holds_alternative<NeedsWorker>(outcome)) return ToWorker(state, std::move(frame));
        c.counters_.data_frames.fetch_add(1, std::memory_order_relaxed);
        auto* samples = std::get_if<std::vector<tsdb::SeriesSample>>(&outcome);
        if (samples == nullptr || samples->empty()) return Complete(state, std::move(reply_bytes));
        const std::size_t count = samples->size();
        c.engine_.WriteAsync(
            domain::Access::ForDeviceKey(known.tenant), std::move(*samples),
            [state, reply_bytes = std::move(reply_bytes), count, serial](Status written) mutable {
                SolarmanCollector& collector = state->collector;
                if (written) {
                    collector.counters_.samples.fetch_add(count, std::memory_order_relaxed);
                    return Complete(state, std::move(reply_bytes));
                }
                collector.counters_.write_failures.fetch_add(1, std::memory_order_relaxed);
                spdlog::warn("solarman: samples of logger {} not stored: {}", serial, written.error().message);
                if (written.error().code == Errc::kNotFound) {  // the device or a series was deleted meanwhile
                    collector.directory_.Forget(kSource, serial);
                    state->link->Post([state] {
                        state->series.ids.clear();
                        state->device.reset();
                    });
                }
                // Busy or shutting down: no acknowledgement, so the logger keeps the data and sends it again.
                const bool transient =
                    written.error().code == Errc::kUnavailable || written.error().code == Errc::kResourceExhausted;
                Complete(state, transient ? std::nullopt : std::move(reply_bytes), transient);
            });
    }

    // The registered device of this connection's logger. A connection keeps what it was told for the directory's
    // refresh time, so the hot path takes no lock; unclaimed loggers ask every time (their frames are counted).
    // The result points into the connection's state (null: unclaimed). On the strand the frame is Cached(): the
    // device was known and fresh when the frame arrived.
    static Result<const store::Device*> Known(State& s, std::uint32_t logger_serial, const std::string& serial,
                                              const std::string& details, Where where) {
        if (where == Where::kStrand) return &*s.device;
        SolarmanCollector& c = s.collector;
        const Timestamp now = c.clock_.Now();
        if (s.device && s.device_serial == logger_serial && details.empty() &&
            now - s.device_fetched < c.options_.directory.refresh) {
            return &*s.device;
        }
        MH_ASSIGN_OR_RETURN(auto device, c.directory_.Lookup(kSource, serial, s.link->remote_address(), details));
        s.device = std::move(device);
        s.device_serial = logger_serial;
        s.device_fetched = now;
        return s.device ? &*s.device : nullptr;
    }

    static void UpdateFacts(State& s, const store::Device& device, const store::DeviceFacts& facts,
                            const std::string& serial) {
        auto updated = s.collector.directory_.UpdateFacts(device, facts);
        WarnIfFailed(updated, serial);
        if (!updated || !s.device) return;
        if (facts.firmware) s.device->firmware = *facts.firmware;
        if (facts.rated_power_w) s.device->rated_power_w = facts.rated_power_w;
    }

    static std::string NoteHello(State& s, const solarman::Frame& frame) {
        auto info = solarman::DecodeLoggerInfo(frame.payload);
        if (!info) return "";
        s.sensor_type = info->sensor_type;
        if (!s.sensor_type) s.sensor_type = solarman::SensorTypeFromFirmware(info->logger_firmware);
        s.logger_firmware = info->logger_firmware;
        std::string details = "firmware " + info->logger_firmware;
        if (!info->ip.empty()) details += ", ip " + info->ip;
        if (!info->ssid.empty()) details += ", wifi " + info->ssid;
        return details;
    }

    // The data frame's samples, with their series and times. On the strand: NeedsWorker, before any change,
    // when the frame needs the database (new device facts, a series not cached yet).
    static DataOutcome DataSamples(State& s, const solarman::Frame& frame, const store::Device& device, Where where) {
        SolarmanCollector& c = s.collector;
        const std::string serial = std::to_string(frame.logger_serial);
        auto header = solarman::DecodePushHeader(frame.payload);
        if (!header) return Undecodable(s, serial, header.error().message);
        const solarman::FieldMap* map = nullptr;
        if (!device.model.empty()) map = c.maps_.Find(device.model);
        if (!map) map = c.maps_.PushMapFor(header->sensor_type);
        if (!map && s.sensor_type) map = c.maps_.PushMapFor(*s.sensor_type);
        if (!map || map->layout != solarman::MapLayout::kPushPayload) {
            if (!s.warned_no_map) {
                spdlog::warn(
                    "solarman: no field map for logger {} (sensor type 0x{:04X}); set the device's model to "
                    "a map name",
                    serial, header->sensor_type);
                s.warned_no_map = true;
            }
            return Undecodable(s, serial, "");
        }
        auto report = solarman::DecodeDataPayload(frame.payload, *map);
        if (!report) return Undecodable(s, serial, report.error().message);

        const std::int64_t now_ms = ToMillis(c.clock_.Now());
        auto ts_ms = TimeOf(s, frame.logger_serial, *report, now_ms);
        if (!ts_ms) {
            c.counters_.dropped_historic.fetch_add(1, std::memory_order_relaxed);
            spdlog::warn("solarman: logger {} sent historic data with an implausible time; dropped", serial);
            return NothingToStore{};
        }

        const store::DeviceFacts facts = FactsOf(*report);
        if (where == Where::kStrand) {
            const auto changed = DeviceDirectory::NewFacts(device, facts);
            if (changed.firmware || changed.rated_power_w) return NeedsWorker{};
            auto cached = CachedSamplesOf(device, *report, *ts_ms, s.series);
            if (!cached) return NeedsWorker{};
            return std::move(*cached);
        }
        UpdateFacts(s, device, facts, serial);
        return collect::SamplesOf(c.directory_, device, *report, *ts_ms, s.series);
    }

    // Real time: the receive time (and the logger's clock error is noted). Historic: the logger's time, corrected
    // by its known clock error, if plausible.
    static std::optional<std::int64_t> TimeOf(State& s, std::uint32_t serial, const solarman::DataReport& report,
                                              std::int64_t now_ms) {
        SolarmanCollector& c = s.collector;
        if (!report.historic) {
            if (report.device_time_ms) {
                // Within a minute is a clock we set (whole seconds, network delay): trust it as it is. Whole
                // seconds otherwise, so that the shared table is only written when the error really changes.
                const std::int64_t error = *report.device_time_ms - now_ms;
                const std::int64_t noted = std::abs(error) < kTrustedClockErrorMs ? 0 : error / 1000 * 1000;
                if (s.noted_clock_error != noted) c.NoteClockError(serial, noted);
                s.noted_clock_error = noted;
            }
            return now_ms;
        }
        if (!report.device_time_ms) return std::nullopt;
        const std::int64_t ts = *report.device_time_ms - c.ClockError(serial).value_or(0);
        if (ts > now_ms + c.options_.max_clock_ahead.count()) return std::nullopt;
        if (ts < now_ms - c.options_.historic_max_age.count()) return std::nullopt;
        return ts;
    }

    static NothingToStore Undecodable(State& s, const std::string& serial, const std::string& why) {
        s.collector.counters_.undecodable.fetch_add(1, std::memory_order_relaxed);
        if (!why.empty()) spdlog::warn("solarman: data from logger {} not decoded: {}", serial, why);
        return {};
    }

    static void WarnIfFailed(const Status& status, const std::string& serial) {
        if (!status) spdlog::warn("solarman: cannot update logger {}: {}", serial, status.error().message);
    }

    std::shared_ptr<State> state_;
};

std::unique_ptr<net::StreamProtocol> SolarmanCollector::Open(std::shared_ptr<net::StreamLink> link) {
    counters_.connections.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("solarman: logger connected from {}", link->remote_address());
    return std::make_unique<Connection>(*this, std::move(link));
}

}  // namespace mh::collect
