// Clock: the only source of "now". Production code takes a `const Clock&`; tests pass a FakeClock.
//
// Nothing outside SystemClock reads the system clock, so every time-dependent rule (timestamp sanity
// checks, "today", retention, checkpoints) can be tested without sleeping.
#pragma once

#include <atomic>

#include "core/time.hpp"

namespace mh {

class Clock {
  public:
    virtual ~Clock() = default;
    virtual Timestamp Now() const = 0;
};

class SystemClock final : public Clock {
  public:
    Timestamp Now() const override;
    static const SystemClock& Instance();
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
  public:
    explicit FakeClock(Timestamp start) : now_ms_(ToMillis(start)) {}
    Timestamp Now() const override { return FromMillis(now_ms_.load(std::memory_order_relaxed)); }
    void Set(Timestamp t) { now_ms_.store(ToMillis(t), std::memory_order_relaxed); }
    void Advance(Millis d) { now_ms_.fetch_add(d.count(), std::memory_order_relaxed); }

  private:
    std::atomic<std::int64_t> now_ms_;
};

}  // namespace mh
