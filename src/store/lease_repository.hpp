// LeaseRepository: named leases in the shared database, so that several meterhub instances on one database
// agree on who does what: which instance runs a scheduled job (purge, pollers, cloud syncs), and which instance
// number (the node bits of generated ids) each instance holds.
//
// A lease has a name, a holder (an opaque text unique per process) and an expiry on the database's shared time
// line (the callers' clocks; instances are expected to keep NTP time — the lease's length, seconds to minutes,
// dwarfs their skew). Acquire takes a free or expired lease, or renews the caller's own; it fails (false, not an
// error) while another holder's lease runs. A holder that dies stops renewing and its leases expire, so another
// takes over.
//
// Implementations are thread-safe; each call is one atomic statement.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace mh::store {

struct Lease {
    std::string name;
    std::string holder;
    Timestamp expires_at;
};

class LeaseRepository {
  public:
    virtual ~LeaseRepository() = default;

    // Takes the lease until `expires_at` when it is free, expired at `now`, or already the holder's (a renewal).
    // True when the caller holds it now.
    virtual Result<bool> Acquire(std::string_view name, std::string_view holder, Timestamp now,
                                 Timestamp expires_at) = 0;
    // Gives the lease up if the holder has it (on clean shutdown, so others need not wait for expiry).
    virtual Status Release(std::string_view name, std::string_view holder) = 0;
    virtual Result<std::optional<Lease>> Find(std::string_view name) = 0;
    // Leases whose names start with `prefix`, by name.
    virtual Result<std::vector<Lease>> List(std::string_view prefix) = 0;
};

}  // namespace mh::store
