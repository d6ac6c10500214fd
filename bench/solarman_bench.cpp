// solarman_bench: the Solarman V5 codec's server-side cost per frame, on one core.
//
// What a push server does for every frame a logger sends: cut it out of the TCP stream (Framer), decode it
// (DecodeFrame), for data frames decode the payload through the layout's field map (DecodeDataPayload), build
// the acknowledgement (BuildReply) and encode it (EncodeFrame). No sockets, no storage: this is the protocol
// layer's share of the work. Frames come from the logger simulator (sim/solarman_pusher.hpp), so they are what
// the simulator sends in load tests. Targets: heartbeats >= 2,000,000/s, ~400-byte data frames >= 500,000/s.
//
//   solarman_bench [--benchmark_filter=...] [--benchmark_min_time=...]   (Google Benchmark flags)
//
// Before timing, each case checks that the work really happens (the payload decodes with no field skipped, the
// reply passes the simulator's CheckReply); if not, the case reports an error instead of a figure.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "ingest/solarman/field_map.hpp"
#include "ingest/solarman/frame.hpp"
#include "ingest/solarman/framer.hpp"
#include "ingest/solarman/payload.hpp"
#include "ingest/solarman/reply.hpp"
#include "sim/solarman_pusher.hpp"

namespace mh::bench {
namespace {

namespace sm = ingest::solarman;
using sim::PushLayout;

const Timestamp kDeviceTime = FromMillis(1'717'236'000'000);  // 2024-06-01T10:00:00Z

sim::LoggerFrames MakeFrames(PushLayout layout) {
    sim::LoggerSettings settings;
    settings.logger_serial = 4'142'050'081;
    settings.inverter_serial = layout == PushLayout::kDeyeMicro ? "2306114210" : "Y17E7A0F010B013E";
    settings.layout = layout;
    settings.boot_time = kDeviceTime;
    return *sim::LoggerFrames::Create(settings);
}

sim::InverterReading Reading(PushLayout layout) {
    sim::SimulatedInverter inverter(layout, 7);
    (void)inverter.ReadingAt(kDeviceTime - std::chrono::minutes(5), TimeZone::Utc());
    return inverter.ReadingAt(kDeviceTime, TimeZone::Utc());
}

// The server's work for one received frame; returns the encoded reply. `map` is set for data frames.
std::vector<std::uint8_t> Serve(sm::Framer& framer, std::span<const std::uint8_t> wire, const sm::FieldMap* map,
                                const Clock& clock, std::size_t& samples) {
    (void)framer.Feed(wire);
    auto next = framer.Next();
    auto frame = sm::DecodeFrame(**next);
    if (map != nullptr) {
        auto report = sm::DecodeDataPayload(frame->payload, *map);
        samples += report->samples.size();
        benchmark::DoNotOptimize(report);
    }
    auto reply = sm::BuildReply(*frame, clock.Now());
    return sm::EncodeFrame(*reply);
}

// Runs Serve once outside the clock and checks everything a server needs happened; false: SkipWithError.
bool Verify(benchmark::State& state, const sm::Frame& request, std::span<const std::uint8_t> wire,
            const sm::FieldMap* map) {
    sm::Framer framer(2 * sm::kMaxFrameSize);
    (void)framer.Feed(wire);
    auto next = framer.Next();
    if (!next || !*next) {
        state.SkipWithError("the framer did not return the frame");
        return false;
    }
    auto frame = sm::DecodeFrame(**next);
    if (!frame || *frame != request) {
        state.SkipWithError("the frame did not decode to what was sent");
        return false;
    }
    if (map != nullptr) {
        auto report = sm::DecodeDataPayload(frame->payload, *map);
        if (!report || !report->skipped.empty() || report->samples.size() < 20) {
            state.SkipWithError("the data payload did not decode completely");
            return false;
        }
    }
    auto reply = sm::BuildReply(*frame, SystemClock::Instance().Now());
    const sim::ReplyCheck check;
    if (!reply || !sim::CheckReply(request, sm::EncodeFrame(*reply), SystemClock::Instance().Now(), check)) {
        state.SkipWithError("the reply does not pass CheckReply");
        return false;
    }
    return true;
}

void Run(benchmark::State& state, const sm::Frame& request, const sm::FieldMap* map) {
    const std::vector<std::uint8_t> wire = sm::EncodeFrame(request);
    if (!Verify(state, request, wire, map)) return;
    sm::Framer framer(2 * sm::kMaxFrameSize);
    const Clock& clock = SystemClock::Instance();
    std::size_t samples = 0;
    for (auto _ : state) {
        std::vector<std::uint8_t> reply = Serve(framer, wire, map, clock, samples);
        benchmark::DoNotOptimize(reply.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wire.size()));
    state.counters["frame_bytes"] = static_cast<double>(wire.size());
    if (map != nullptr) {
        state.counters["samples_per_frame"] = static_cast<double>(samples) / static_cast<double>(state.iterations());
    }
}

// Heartbeat: framed, decoded, reply built and encoded.
void BM_Heartbeat(benchmark::State& state) {
    sim::LoggerFrames frames = MakeFrames(PushLayout::kDeyeMicro);
    Run(state, frames.Heartbeat(), nullptr);
}
BENCHMARK(BM_Heartbeat);

// Data frame: framed, decoded, payload decoded through the built-in map, reply built and encoded.
// The data frame of the layout in state.range(0), labelled; nullopt (and the benchmark skipped) if it cannot be
// built.
std::optional<sm::Frame> DataFrameFor(benchmark::State& state, sim::LoggerFrames& frames, PushLayout layout) {
    auto frame = frames.Data(Reading(layout), kDeviceTime);
    if (!frame) {
        state.SkipWithError(frame.error().message.c_str());
        return std::nullopt;
    }
    state.SetLabel(std::string(sim::PushLayoutName(layout)));
    return std::move(*frame);
}

void BM_DataFrame(benchmark::State& state) {
    const auto layout = static_cast<PushLayout>(state.range(0));
    sim::LoggerFrames frames = MakeFrames(layout);
    const auto frame = DataFrameFor(state, frames, layout);
    if (!frame) return;
    Run(state, *frame, &frames.map());
}
BENCHMARK(BM_DataFrame)
    ->Arg(static_cast<int>(PushLayout::kSensor02B0))  // 409-byte payload, 422-byte frame
    ->Arg(static_cast<int>(PushLayout::kDeyeMicro));  // 251-byte payload

// The payload decoder alone, to see its share of BM_DataFrame.
void BM_DecodeDataPayload(benchmark::State& state) {
    const auto layout = static_cast<PushLayout>(state.range(0));
    sim::LoggerFrames frames = MakeFrames(layout);
    const auto frame = DataFrameFor(state, frames, layout);
    if (!frame) return;
    for (auto _ : state) {
        auto report = sm::DecodeDataPayload(frame->payload, frames.map());
        benchmark::DoNotOptimize(report);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeDataPayload)
    ->Arg(static_cast<int>(PushLayout::kSensor02B0))
    ->Arg(static_cast<int>(PushLayout::kDeyeMicro));

}  // namespace
}  // namespace mh::bench

BENCHMARK_MAIN();
