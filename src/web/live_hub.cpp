// LiveHub: the subscriber registry, the coalescing per series, the event format and the heartbeat.
//
// One mutex guards the registry and every subscriber's state. NextPiece calls (which post to the HTTP server)
// and the formatting of events happen outside it, so Publish() holds the lock only to merge samples.
#include "web/live_hub.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mh::web {
namespace {

constexpr std::string_view kRetry = "retry: 2000\n\n";  // how soon a browser reconnects after the stream ends
constexpr std::string_view kHeartbeat = ": keep-alive\n\n";

template <class Number>
void AppendNumber(std::string& out, Number value) {
    std::array<char, 32> buffer;
    const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);  // shortest form
    out.append(buffer.data(), end);
}

std::string FormatEvent(std::span<const tsdb::SeriesSample> samples) {
    std::string out = "event: samples\ndata: [";
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const tsdb::SeriesSample& s = samples[i];
        // Series ids as strings: 64-bit ids lose digits as JavaScript numbers.
        out += i == 0 ? "[\"" : ",[\"";
        AppendNumber(out, s.series.value());
        out += "\",";
        AppendNumber(out, s.ts_ms);
        out += ',';
        if (std::isfinite(s.value)) {
            AppendNumber(out, s.value);
        } else {
            out += "null";  // JSON has no NaN or infinity (the engine refuses them anyway)
        }
        out += ']';
    }
    out += "]\n\n";
    return out;
}

}  // namespace

struct LiveHub::Core {
    explicit Core(LiveHubOptions hub_options) : options(hub_options) {}

    // Unregisters `subscriber`; mutex held.
    void Remove(Subscriber* subscriber);

    const LiveHubOptions options;
    mutable std::mutex mutex;
    std::unordered_map<TenantId, std::vector<Subscriber*>> by_tenant;
    std::size_t count = 0;
    bool closed = false;
};

// The state of one stream, owned by the stream function the server holds; unregisters itself when that dies.
struct LiveHub::Subscriber {
    Subscriber(std::shared_ptr<Core> hub_core, TenantId subscriber_tenant)
        : core(std::move(hub_core)), tenant(subscriber_tenant) {}
    ~Subscriber() {
        net::NextPiece dropped;  // destroyed after the lock is released
        std::lock_guard lock(core->mutex);
        if (registered) core->Remove(this);
        dropped = std::exchange(waiting, nullptr);
    }
    Subscriber(const Subscriber&) = delete;
    Subscriber& operator=(const Subscriber&) = delete;

    void Pull(net::NextPiece next);

    // Mutex held: keeps the newest sample per series (a late sample does not replace a newer one).
    void Merge(std::span<const tsdb::SeriesSample> samples) {
        for (const tsdb::SeriesSample& s : samples) {
            const auto [it, inserted] = index.try_emplace(s.series, pending.size());
            if (!inserted) {
                if (s.ts_ms >= pending[it->second].ts_ms) pending[it->second] = s;
            } else if (pending.size() < core->options.max_series_per_subscriber) {
                pending.push_back(s);
            } else {
                index.erase(it);  // over the limit: dropped until the stream pulls
            }
        }
    }

    // Mutex held.
    std::vector<tsdb::SeriesSample> TakePending() {
        index.clear();
        return std::exchange(pending, {});
    }

    const std::shared_ptr<Core> core;
    const TenantId tenant;
    // Guarded by core->mutex.
    bool registered = false;
    bool started = false;                             // the retry piece is out
    bool ended = false;                               // the hub closed: the next pull ends the stream
    net::NextPiece waiting;                           // a pull that found nothing new
    std::vector<tsdb::SeriesSample> pending;          // newest per series, in order of first arrival
    std::unordered_map<SeriesId, std::size_t> index;  // series -> position in `pending`
};

void LiveHub::Core::Remove(Subscriber* subscriber) {
    auto it = by_tenant.find(subscriber->tenant);
    if (it != by_tenant.end()) {
        std::erase(it->second, subscriber);
        if (it->second.empty()) by_tenant.erase(it);
    }
    subscriber->registered = false;
    --count;
}

void LiveHub::Subscriber::Pull(net::NextPiece next) {
    std::string piece;
    bool more = true;
    std::vector<tsdb::SeriesSample> samples;
    {
        std::lock_guard lock(core->mutex);
        if (ended) {
            more = false;
        } else if (!started) {
            started = true;
            piece = kRetry;
        } else if (!pending.empty()) {
            samples = TakePending();
        } else {
            waiting = std::move(next);
            return;
        }
    }
    if (!samples.empty()) piece = FormatEvent(samples);
    next(std::move(piece), more);
}

LiveHub::LiveHub(LiveHubOptions options) : core_(std::make_shared<Core>(options)) {}

void LiveHub::Heartbeat() {
    // Only waiting streams: a stream that is being written notices a dead client by itself.
    std::vector<net::NextPiece> due;
    {
        std::lock_guard lock(core_->mutex);
        for (auto& [tenant, subscribers] : core_->by_tenant) {
            for (Subscriber* s : subscribers) {
                if (s->waiting) due.push_back(std::exchange(s->waiting, nullptr));
            }
        }
    }
    for (net::NextPiece& next : due) next(std::string(kHeartbeat), true);
}

std::chrono::milliseconds LiveHub::heartbeat_interval() const {
    return core_->options.heartbeat;
}

LiveHub::~LiveHub() {
    Close();
}

void LiveHub::Publish(TenantId tenant, std::span<const tsdb::SeriesSample> samples) {
    if (samples.empty()) return;
    std::vector<std::pair<net::NextPiece, std::vector<tsdb::SeriesSample>>> ready;
    {
        std::lock_guard lock(core_->mutex);
        auto it = core_->by_tenant.find(tenant);
        if (it == core_->by_tenant.end()) return;
        for (Subscriber* s : it->second) {
            s->Merge(samples);
            if (s->waiting) ready.emplace_back(std::exchange(s->waiting, nullptr), s->TakePending());
        }
    }
    for (auto& [next, pending] : ready) next(FormatEvent(pending), true);
}

net::AsyncBodyStream LiveHub::Subscribe(TenantId tenant) {
    auto subscriber = std::make_shared<Subscriber>(core_, tenant);
    {
        std::lock_guard lock(core_->mutex);
        if (core_->closed || core_->count >= core_->options.max_subscribers) return nullptr;
        core_->by_tenant[tenant].push_back(subscriber.get());
        ++core_->count;
        subscriber->registered = true;
    }
    return [subscriber](net::NextPiece next) { subscriber->Pull(std::move(next)); };
}

void LiveHub::Close() {
    std::vector<net::NextPiece> waiting;
    {
        std::lock_guard lock(core_->mutex);
        if (!core_->closed) {
            core_->closed = true;
            for (auto& [tenant, subscribers] : core_->by_tenant) {
                for (Subscriber* s : subscribers) {
                    s->ended = true;
                    s->registered = false;
                    if (s->waiting) waiting.push_back(std::exchange(s->waiting, nullptr));
                }
            }
            core_->by_tenant.clear();
            core_->count = 0;
        }
    }
    for (net::NextPiece& next : waiting) next(std::string(), false);
}

std::size_t LiveHub::subscribers() const {
    std::lock_guard lock(core_->mutex);
    return core_->count;
}

}  // namespace mh::web
