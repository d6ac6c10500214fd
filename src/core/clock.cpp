#include "core/clock.hpp"

#include <date/date.h>

namespace mh {

Timestamp SystemClock::Now() const {
    return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
}

const SystemClock& SystemClock::Instance() {
    static const SystemClock clock;
    return clock;
}

std::string FormatUtc(Timestamp t) {
    return date::format("%FT%TZ", t);
}

}  // namespace mh
