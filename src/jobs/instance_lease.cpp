#include "jobs/instance_lease.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <random>
#include <set>

namespace mh::jobs {

std::string InstanceLeaseName(std::uint32_t number) {
    return "instance/" + std::to_string(number);
}

std::string ProcessHolderName() {
    std::array<char, 256> host{};
    if (gethostname(host.data(), host.size() - 1) != 0) std::snprintf(host.data(), host.size(), "host");
    std::random_device random;
    std::array<char, 16> tag{};
    std::snprintf(tag.data(), tag.size(), "%08x", static_cast<unsigned>(random()));
    return std::string(host.data()) + ":" + std::to_string(getpid()) + ":" + tag.data();
}

Result<std::unique_ptr<InstanceLease>> InstanceLease::Acquire(store::LeaseRepository& leases, const Clock& clock,
                                                              std::string holder, std::chrono::seconds length) {
    std::unique_ptr<InstanceLease> lease(new InstanceLease(leases, clock, std::move(holder), length));
    MH_ASSIGN_OR_RETURN(lease->number_, lease->TakeFreeNumber());
    return lease;
}

InstanceLease::~InstanceLease() {
    std::lock_guard lock(mutex_);
    if (auto status = leases_.Release(InstanceLeaseName(number_), holder_); !status) {
        spdlog::warn("instance lease: could not give back number {}: {}", number_, status.error().message);
    }
}

std::uint32_t InstanceLease::number() const {
    std::lock_guard lock(mutex_);
    return number_;
}

Result<std::uint32_t> InstanceLease::TakeFreeNumber() {
    const Timestamp now = clock_.Now();
    MH_ASSIGN_OR_RETURN(auto held, leases_.List("instance/"));
    std::set<std::string> live;
    for (const auto& lease : held) {
        if (lease.expires_at > now && lease.holder != holder_) live.insert(lease.name);
    }
    // The listing is a hint; Acquire decides, so two instances starting at once still end up apart.
    for (std::uint32_t n = 0; n < kInstanceNumbers; ++n) {
        const std::string name = InstanceLeaseName(n);
        if (live.contains(name)) continue;
        MH_ASSIGN_OR_RETURN(bool taken, leases_.Acquire(name, holder_, now, now + length_));
        if (taken) return n;
    }
    return MakeError(Errc::kResourceExhausted,
                     "all " + std::to_string(kInstanceNumbers) + " instance numbers are held by running instances");
}

Result<std::uint32_t> InstanceLease::Renew() {
    std::lock_guard lock(mutex_);
    const Timestamp now = clock_.Now();
    MH_ASSIGN_OR_RETURN(bool kept, leases_.Acquire(InstanceLeaseName(number_), holder_, now, now + length_));
    if (kept) return number_;
    const std::uint32_t lost = number_;
    MH_ASSIGN_OR_RETURN(number_, TakeFreeNumber());
    spdlog::error("instance lease: number {} was taken over by another instance (this one stalled longer than {} s); "
                  "now using number {}",
                  lost, length_.count(), number_);
    return number_;
}

}  // namespace mh::jobs
