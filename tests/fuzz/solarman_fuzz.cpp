// Fuzzes the Solarman V5 protocol layer with arbitrary bytes: the stream framer (fed in two pieces), the frame
// decoder, the acknowledgement builder, and the payload decoders (push data with every built-in map, hello,
// Modbus reply, register maps). Checks the promises: a decoded frame re-encodes to the same bytes, the framer
// hands out only valid frames and never buffers more than its limit, a reply is a valid 23-byte frame.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ingest/solarman/field_map.hpp"
#include "ingest/solarman/frame.hpp"
#include "ingest/solarman/framer.hpp"
#include "ingest/solarman/logger_info.hpp"
#include "ingest/solarman/modbus.hpp"
#include "ingest/solarman/payload.hpp"
#include "ingest/solarman/reply.hpp"

namespace sm = mh::ingest::solarman;

namespace {

const std::vector<sm::FieldMap>& Maps() {
    static const std::vector<sm::FieldMap> maps = [] {
        std::vector<sm::FieldMap> all;
        for (const std::string_view name : sm::BuiltinFieldMapNames()) all.push_back(*sm::BuiltinFieldMap(name));
        return all;
    }();
    return maps;
}

void Payload(std::span<const std::uint8_t> payload) {
    for (const sm::FieldMap& map : Maps()) {
        if (map.layout == sm::MapLayout::kPushPayload) {
            (void)sm::DecodeDataPayload(payload, map);
        } else {
            sm::RegisterBlock block;
            block.start = payload.empty() ? 0 : static_cast<std::uint16_t>(payload[0] << 2);
            for (std::size_t i = 0; i + 1 < payload.size(); i += 2) {
                block.values.push_back(static_cast<std::uint16_t>((payload[i] << 8) | payload[i + 1]));
            }
            (void)sm::DecodeRegisters(map, std::span(&block, 1));
        }
    }
    (void)sm::DecodeLoggerInfo(payload);
}

void Frame(std::span<const std::uint8_t> bytes) {
    auto frame = sm::DecodeFrame(bytes);
    if (!frame) return;
    const std::vector<std::uint8_t> again = sm::EncodeFrame(*frame);
    if (again.size() != bytes.size() || !std::equal(again.begin(), again.end(), bytes.begin())) __builtin_trap();
    Payload(frame->payload);
    (void)sm::DecodeModbusReply(*frame);
    if (auto reply = sm::BuildReply(*frame, mh::FromMillis(1'712'861'197'000))) {
        const auto encoded = sm::EncodeFrame(*reply);
        if (encoded.size() != 23 || !sm::DecodeFrame(encoded)) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    Frame(bytes);
    Payload(bytes);

    sm::Framer framer(2048);
    const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
    for (const std::span<const std::uint8_t> piece : {bytes.first(cut), bytes.subspan(cut)}) {
        if (!framer.Feed(piece)) continue;
        if (framer.buffered() > framer.max_buffer()) __builtin_trap();
        for (;;) {
            auto next = framer.Next();
            if (!next) continue;  // garbage: the framer dropped its buffer
            if (!next->has_value()) break;
            if (!sm::DecodeFrame(**next)) __builtin_trap();
            Frame(**next);
        }
    }
    return 0;
}
