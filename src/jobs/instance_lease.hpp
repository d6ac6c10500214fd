// InstanceLease: this process's instance number (0-1023, the node bits of generated ids), leased in the store
// so that instances sharing one database never generate ids from the same node.
//
// Acquire takes the lowest number no live instance holds ("instance/<n>" leases). The holder renews it
// (Renew(), from the Scheduler) well within its length; an instance that dies stops renewing and its number
// frees up after the lease runs out. If a renewal finds the number taken (the process stalled past the lease),
// Renew() takes a new free number and says so: ids made from then on use it. Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/lease_repository.hpp"

namespace mh::jobs {

inline constexpr std::uint32_t kInstanceNumbers = 1024;  // core/ids.hpp: 10 bits of node

class InstanceLease {
  public:
    // kResourceExhausted when every number is held by a live instance.
    static Result<std::unique_ptr<InstanceLease>> Acquire(store::LeaseRepository& leases, const Clock& clock,
                                                          std::string holder, std::chrono::seconds length);
    ~InstanceLease();  // gives the number back
    InstanceLease(const InstanceLease&) = delete;
    InstanceLease& operator=(const InstanceLease&) = delete;

    std::uint32_t number() const;
    const std::string& holder() const { return holder_; }
    std::chrono::seconds length() const { return length_; }

    // Extends the lease; when it was lost meanwhile, takes another number (returned, and logged loudly).
    Result<std::uint32_t> Renew();

  private:
    InstanceLease(store::LeaseRepository& leases, const Clock& clock, std::string holder, std::chrono::seconds length)
        : leases_(leases), clock_(clock), holder_(std::move(holder)), length_(length) {}
    Result<std::uint32_t> TakeFreeNumber();

    store::LeaseRepository& leases_;
    const Clock& clock_;
    const std::string holder_;
    const std::chrono::seconds length_;
    mutable std::mutex mutex_;
    std::uint32_t number_ = 0;
};

std::string InstanceLeaseName(std::uint32_t number);

// A holder name unique to this process: host, pid and a random part ("box-1:4242:9f3a61c0").
std::string ProcessHolderName();

}  // namespace mh::jobs
