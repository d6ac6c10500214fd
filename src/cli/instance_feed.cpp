#include "cli/instance_feed.hpp"

#include <spdlog/spdlog.h>

#include "store/postgres/change_notice.hpp"
#include "store/postgres/sample_notice.hpp"

namespace mh::cli {
namespace {

using store::postgres::ChangeNotice;
using store::postgres::EncodeChangeNotice;

domain::DeviceChange::Kind KindOf(ChangeNotice::What what) {
    switch (what) {
        case ChangeNotice::What::kDeviceUpdated: return domain::DeviceChange::Kind::kUpdated;
        case ChangeNotice::What::kDeviceDeleted: return domain::DeviceChange::Kind::kDeleted;
        default: return domain::DeviceChange::Kind::kCreated;
    }
}

ChangeNotice::What WhatOf(domain::DeviceChange::Kind kind) {
    switch (kind) {
        case domain::DeviceChange::Kind::kUpdated: return ChangeNotice::What::kDeviceUpdated;
        case domain::DeviceChange::Kind::kDeleted: return ChangeNotice::What::kDeviceDeleted;
        case domain::DeviceChange::Kind::kCreated: break;
    }
    return ChangeNotice::What::kDeviceCreated;
}

}  // namespace

InstanceFeed::InstanceFeed(std::string origin, store::sql::Pool& pool, web::LiveHub& live, domain::Devices& devices,
                           api::Api& api)
    : origin_(std::move(origin)), pool_(pool), live_(live), devices_(devices), api_(api) {}

Result<std::unique_ptr<InstanceFeed>> InstanceFeed::Start(const std::string& url, std::string origin,
                                                          store::sql::Pool& pool, web::LiveHub& live,
                                                          domain::Devices& devices, api::Api& api) {
    std::unique_ptr<InstanceFeed> feed(new InstanceFeed(std::move(origin), pool, live, devices, api));
    MH_ASSIGN_OR_RETURN(feed->listener_, store::postgres::Listener::Start(
                                             url, {store::postgres::kSampleChannel, store::postgres::kChangeChannel},
                                             [raw = feed.get()](std::string_view channel, std::string_view payload) {
                                                 raw->Heard(channel, payload);
                                             }));
    devices.SetAnnouncer([raw = feed.get()](const domain::DeviceChange& change) {
        raw->Announce(EncodeChangeNotice({raw->origin_, WhatOf(change.kind), change.tenant, change.device,
                                          change.source, change.serial, change.old_serial}));
    });
    api.SetApiKeysAnnouncer([raw = feed.get()] { raw->Announce(EncodeChangeNotice({raw->origin_})); });
    return feed;
}

InstanceFeed::~InstanceFeed() {
    devices_.SetAnnouncer(nullptr);
    api_.SetApiKeysAnnouncer(nullptr);
    listener_->Stop();
}

void InstanceFeed::Heard(std::string_view channel, std::string_view payload) {
    if (channel == store::postgres::kSampleChannel) {
        auto notice = store::postgres::DecodeSampleNotice(payload);
        if (!notice) return spdlog::warn("{}", notice.error().message);
        if (notice->origin == origin_) return;  // ours: published when it committed
        std::vector<tsdb::SeriesSample> samples;
        samples.reserve(notice->rows.size());
        for (const auto& row : notice->rows) samples.push_back({row.series, row.ts_ms, row.value});
        live_.Publish(notice->tenant, samples);
        return;
    }
    auto notice = store::postgres::DecodeChangeNotice(payload);
    if (!notice) return spdlog::warn("{}", notice.error().message);
    if (notice->origin == origin_) return;
    if (notice->what == ChangeNotice::What::kApiKeys) return api_.ForgetApiKeys();
    devices_.Heard(
        {KindOf(notice->what), notice->tenant, notice->device, notice->source, notice->serial, notice->old_serial});
}

// Best effort, after the change committed: a notice lost here leaves the others' caches to their TTL.
void InstanceFeed::Announce(const std::string& payload) {
    auto sent = [&]() -> Status {
        MH_ASSIGN_OR_RETURN(auto lease, pool_.Write(store::sql::Access::System()));
        MH_ASSIGN_OR_RETURN(auto* notify, lease->Cached("SELECT COUNT(*) FROM (SELECT pg_notify(?, ?)) AS sent"));
        return notify->Bind(1, store::postgres::kChangeChannel).Bind(2, payload).Run();
    }();
    if (!sent) spdlog::warn("telling the other instances of a change: {}", sent.error().message);
}

}  // namespace mh::cli
