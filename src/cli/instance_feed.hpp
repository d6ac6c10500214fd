// InstanceFeed: on PostgreSQL, what `serve` hears from and tells the other instances on the database, so that
// none of them shows or trusts stale state: the samples they commit reach this instance's live dashboards
// (their journal's notices), and their device and API-key changes make this instance forget what it cached (and
// this one's are announced to them). Through PostgreSQL's LISTEN/NOTIFY: store/postgres/listener.hpp,
// sample_notice.hpp, change_notice.hpp. What is missed while the listening connection is down is lost: a
// dashboard misses a point until the next, a cache lives out its TTL (a few seconds).
#pragma once

#include <memory>
#include <string>

#include "api/api.hpp"
#include "core/result.hpp"
#include "domain/devices.hpp"
#include "store/postgres/listener.hpp"
#include "store/sql/pool.hpp"
#include "web/live_hub.hpp"

namespace mh::cli {

class InstanceFeed {
  public:
    // `origin`: this instance's name in the notices (its journal's), so it skips its own.
    static Result<std::unique_ptr<InstanceFeed>> Start(const std::string& url, std::string origin,
                                                       store::sql::Pool& pool, web::LiveHub& live,
                                                       domain::Devices& devices, api::Api& api);
    ~InstanceFeed();
    InstanceFeed(const InstanceFeed&) = delete;
    InstanceFeed& operator=(const InstanceFeed&) = delete;

  private:
    InstanceFeed(std::string origin, store::sql::Pool& pool, web::LiveHub& live, domain::Devices& devices,
                 api::Api& api);
    void Heard(std::string_view channel, std::string_view payload);
    void Announce(const std::string& payload);

    const std::string origin_;
    store::sql::Pool& pool_;
    web::LiveHub& live_;
    domain::Devices& devices_;
    api::Api& api_;
    std::unique_ptr<store::postgres::Listener> listener_;
};

}  // namespace mh::cli
