#include "store/sql/rows.hpp"

namespace mh::store::sql {

Tenant TenantFrom(const Statement& s) {
    return Tenant{TenantId{s.Int(0)}, s.Text(1), s.Text(2), s.Int(3), FromMillis(s.Int(4))};
}

Device DeviceFrom(const Statement& s) {
    std::optional<double> rated_power_w;
    if (!s.IsNull(8)) rated_power_w = s.Real(8);
    std::optional<int> mppt_count;
    if (!s.IsNull(10)) mppt_count = static_cast<int>(s.Int(10));
    return Device{DeviceId{s.Int(0)}, TenantId{s.Int(1)}, s.Text(2),     s.Text(3), s.Text(4),
                  s.Text(5),          FromMillis(s.Int(6)), s.Text(7), rated_power_w, mppt_count, s.Text(9)};
}

}  // namespace mh::store::sql
