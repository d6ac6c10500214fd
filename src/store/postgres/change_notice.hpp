// ChangeNotice: what an instance tells the others when it changes something they cache, through NOTIFY on channel
// `mh_changes`, so that within a moment they forget it: a device made, changed or deleted (their device
// directories and series names), and API keys made or revoked (their key caches). Text:
//   mh1 <origin> api_keys
//   mh1 <origin> device <created|updated|deleted> <tenant> <device> <source> <serial> <old serial>
// with '%', ' ', '\n' in the strings as %25, %20, %0A and an empty one as '-' ('-' itself as %2D). `origin` names
// the sender, which skips its own. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/ids.hpp"
#include "core/result.hpp"

namespace mh::store::postgres {

inline constexpr const char* kChangeChannel = "mh_changes";

struct ChangeNotice {
    enum class What { kApiKeys, kDeviceCreated, kDeviceUpdated, kDeviceDeleted };
    std::string origin;
    What what = What::kApiKeys;
    // For the device kinds:
    TenantId tenant;
    DeviceId device;
    std::string source;
    std::string serial;
    std::string old_serial;
};

std::string EncodeChangeNotice(const ChangeNotice& notice);
// kInvalidArgument for anything that is not such a notice.
Result<ChangeNotice> DecodeChangeNotice(std::string_view payload);

}  // namespace mh::store::postgres
