// CounterTracker: turns the readings of an energy counter into increases that are never negative and never
// spiked by resets, rollovers or glitches (docs/design.md, "Counters").
//
// Rules, for each new reading v after the previous reading p:
// - v >= p: the counter rose by v - p.
// - v < p at a register limit (p within 1% below 2^16 or 2^32, v within 1% above zero): a rollover; the rise
//   is (limit - p) + v.
// - any other drop: a reset (the device restarted, a daily counter began a new day), a glitch (one bad
//   reading), or the device reporting zeros while it is off at night. The tracker counts nothing and waits:
//   a later reading back at or above p means there was no reset, and the rise is measured from p; zeros keep
//   it waiting; a positive reading below p means a reset, and the rise is that reading (counted from zero).
// Pure and deterministic; one tracker per series.
#pragma once

#include <optional>

namespace mh::tsdb {

class CounterTracker {
  public:
    // The increase that the reading `value` adds (>= 0).
    double Next(double value);
    bool seeded() const { return last_.has_value(); }
    // Starts from a known previous reading without counting anything.
    void Seed(double value) {
        last_ = value;
        before_drop_.reset();
    }

  private:
    std::optional<double> last_;         // the last reading accepted as the counter's level
    std::optional<double> before_drop_;  // the level before an undecided drop
};

}  // namespace mh::tsdb
