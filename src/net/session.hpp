// Internal to mh_net: serving one accepted connection. The only place that includes Beast (session.cpp).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "net/server_core.hpp"

namespace mh::net::detail {

// Serves `socket` until the client leaves, a limit or timeout ends it, or Stop() closes it. The socket's
// executor must be a strand. The session owns itself (its coroutines hold it), shares the core, and registers with
// core.registry. When `reject` is set it only answers 503 and closes (the caller counted it in
// core.stats.rejecting, which the session releases).
void StartSession(const std::shared_ptr<ServerCore>& core, boost::asio::ip::tcp::socket socket, bool reject);

}  // namespace mh::net::detail
