// Fuzzes the decoders of the notices other instances send (sample_notice.hpp, change_notice.hpp): any bytes give
// a notice or an error, never a crash, and a decoded notice encodes back to one that decodes the same.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "store/postgres/change_notice.hpp"
#include "store/postgres/sample_notice.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto change = mh::store::postgres::DecodeChangeNotice(text)) {
        auto again = mh::store::postgres::DecodeChangeNotice(mh::store::postgres::EncodeChangeNotice(*change));
        if (!again || again->serial != change->serial || again->old_serial != change->old_serial) __builtin_trap();
    }
    auto notice = mh::store::postgres::DecodeSampleNotice(text);
    if (!notice || notice->origin.find_first_of(" \n") != std::string::npos) return 0;
    for (const auto& encoded : mh::store::postgres::EncodeSampleNotices(notice->origin, notice->rows)) {
        if (!mh::store::postgres::DecodeSampleNotice(encoded)) __builtin_trap();
    }
    return 0;
}
