// Strong 64-bit ids, one type per kind of row, so that a DeviceId can never be passed where a SeriesId
// is meant.
//
// Ids are generated, not auto-incremented, so that several meterhub instances can share one PostgreSQL
// database (docs/design.md, "Ids"): 41 bits of milliseconds since 2024-01-01, 10 bits of node, 12 bits of
// sequence. They stay positive and fit SQLite's INTEGER and PostgreSQL's BIGINT.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <mutex>

#include "core/clock.hpp"

namespace mh {

template <class Tag>
class Id {
  public:
    constexpr Id() = default;
    constexpr explicit Id(std::int64_t value) : value_(value) {}
    constexpr std::int64_t value() const noexcept { return value_; }
    constexpr bool valid() const noexcept { return value_ > 0; }
    friend constexpr auto operator<=>(Id, Id) = default;

  private:
    std::int64_t value_ = 0;
};

using TenantId = Id<struct TenantTag>;
using UserId = Id<struct UserTag>;
using DeviceId = Id<struct DeviceTag>;
using SeriesId = Id<struct SeriesTag>;

// Makes unique ids from the clock, a node number and a sequence. Thread-safe.
class IdGenerator {
  public:
    IdGenerator(const Clock& clock, std::uint32_t node);
    std::int64_t Next();
    std::uint32_t node() const { return node_; }  // this instance's number, 0..1023
    template <class IdT>
    IdT Next() {
        return IdT{Next()};
    }

  private:
    const Clock& clock_;
    std::uint32_t node_;
    std::mutex mutex_;
    std::int64_t last_ms_ = -1;
    std::int64_t sequence_ = 0;
};

}  // namespace mh

template <class Tag>
struct std::hash<mh::Id<Tag>> {
    std::size_t operator()(mh::Id<Tag> id) const noexcept { return std::hash<std::int64_t>{}(id.value()); }
};
