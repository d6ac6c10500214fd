#include "tsdb/counter.hpp"

#include <cmath>

namespace mh::tsdb {
namespace {

// The register width a counter rolled over at, if `previous` -> `value` looks like a rollover: the last
// reading within 1% of 2^16 or 2^32 and the new one within 1% above zero. Only unscaled widths: scaled
// registers (0.1 kWh steps) are far too wide to roll over in practice, and guessing there would mistake a
// daily reset for a rollover.
std::optional<double> RolloverLimit(double previous, double value) {
    static constexpr double kWidths[] = {65536.0, 4294967296.0};
    for (double limit : kWidths) {
        if (previous <= limit && previous >= 0.99 * limit && value >= 0 && value <= 0.01 * limit) return limit;
    }
    return std::nullopt;
}

}  // namespace

double CounterTracker::Next(double value) {
    if (!last_) {
        last_ = value;
        return 0;
    }
    if (before_drop_) {
        const double reference = *before_drop_;
        last_ = value;
        if (value >= reference) {  // back at the old level: the drop was a glitch or the device was off
            before_drop_.reset();
            return value - reference;
        }
        if (value <= 0) return 0;  // still off (zeros at night): undecided
        before_drop_.reset();      // a positive reading below the old level: it was a reset
        return value;              // counted from zero
    }
    const double previous = *last_;
    if (value >= previous) {
        last_ = value;
        return value - previous;
    }
    if (auto limit = RolloverLimit(previous, value)) {
        last_ = value;
        return (*limit - previous) + value;
    }
    before_drop_ = previous;
    last_ = value;
    return 0;
}

}  // namespace mh::tsdb
