// Fuzzes the chunk decoder with arbitrary bytes, and checks that whatever decodes re-encodes to the same samples.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "tsdb/chunk_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<mh::tsdb::Sample> samples;
    if (!mh::tsdb::DecodeChunk({data, size}, samples) || samples.empty()) return 0;
    for (std::size_t i = 1; i < samples.size(); ++i) {
        if (samples[i - 1].ts_ms >= samples[i].ts_ms) std::abort();  // the decoder promised increasing times
    }
    const auto encoded = mh::tsdb::EncodeChunk(samples);
    std::vector<mh::tsdb::Sample> again;
    if (!mh::tsdb::DecodeChunk(encoded, again) || again.size() != samples.size()) std::abort();
    for (std::size_t i = 0; i < samples.size(); ++i) {
        if (again[i].ts_ms != samples[i].ts_ms) std::abort();
    }
    return 0;
}
