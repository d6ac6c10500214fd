// Fuzzes the line-format ingest parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/ingest_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    mh::api::IngestLimits limits;
    limits.max_samples = 1000;
    auto parsed = mh::api::ParseSamplesLines(std::string_view(reinterpret_cast<const char*>(data), size), limits);
    if (parsed) {
        if (parsed->size() > limits.max_samples) __builtin_trap();
        for (const auto& s : *parsed) {
            if (s.series <= 0) __builtin_trap();
        }
    }
    return 0;
}
