#include "sim/solar.hpp"

#include <cmath>
#include <numbers>

namespace mh::sim {

double SolarInverter::PowerAt(Timestamp t, const TimeZone& zone) {
    const auto since_midnight = t - zone.StartOfDay(t);
    const double hour = std::chrono::duration<double, std::ratio<3600>>(since_midnight).count();
    if (hour <= 6.0 || hour >= 20.0) return 0.0;
    const double shape = std::sin((hour - 6.0) / 14.0 * std::numbers::pi);
    std::normal_distribution<double> cloud(1.0, 0.04);
    const double power = std::max(0.0, rated_w_ * shape * shape * cloud(random_));
    return std::round(power * 10.0) / 10.0;
}

}  // namespace mh::sim
