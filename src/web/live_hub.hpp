// LiveHub: hands committed samples to the open server-sent-event streams of their tenant, so that dashboards
// update within a second of a sample being committed.
//
// The engine's commit listener calls Publish(); each SSE response's body is a stream from Subscribe(). Each
// subscriber keeps only the newest sample per series until its stream pulls (a slow browser costs at most one
// entry per series of its tenant, up to max_series_per_subscriber); a pull with nothing new waits until a Publish
// or the heartbeat, whose comment line is also what ends the streams of vanished clients (the server notices a
// dead client only when it writes). The hub has no thread: the Runtime's Scheduler calls Heartbeat() every
// heartbeat_interval().
//
// Thread-safe. The streams may outlive the hub: after Close() (or the destructor) they end at their next pull.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>

#include "core/ids.hpp"
#include "net/http.hpp"
#include "tsdb/sample.hpp"

namespace mh::web {

struct LiveHubOptions {
    std::chrono::milliseconds heartbeat{15000};  // how often the owner should call Heartbeat()
    std::size_t max_subscribers = 1000;
    std::size_t max_series_per_subscriber = 10000;  // further series are dropped until the stream pulls
};

class LiveHub {
  public:
    explicit LiveHub(LiveHubOptions options = {});
    ~LiveHub();  // Close()
    LiveHub(const LiveHub&) = delete;
    LiveHub& operator=(const LiveHub&) = delete;

    // From the engine's commit listener: quick, never blocks on a stream.
    void Publish(TenantId tenant, std::span<const tsdb::SeriesSample> samples);

    // The body of one SSE response for a member of `tenant`; null when max_subscribers streams are open or the
    // hub is closed. First piece: "retry: 2000\n\n" at once. Then each piece is one event,
    //   "event: samples\ndata: [["<series id>",<ts ms>,<value>],...]\n\n" (values in the shortest form that
    //   round-trips; non-finite ones as null),
    // or a heartbeat ": keep-alive\n\n". The subscription ends (and stops counting) when the hub ends the stream
    // or the server destroys the stream function.
    net::AsyncBodyStream Subscribe(TenantId tenant);

    // Sends the keep-alive comment to every stream waiting for a piece. Quick; any thread.
    void Heartbeat();
    std::chrono::milliseconds heartbeat_interval() const;

    // Ends every stream (more=false) and refuses new ones. Idempotent.
    void Close();

    std::size_t subscribers() const;

  private:
    struct Core;
    struct Subscriber;

    std::shared_ptr<Core> core_;  // shared with the streams, which may outlive the hub
};

}  // namespace mh::web
