// The Asio side of IoContext, private to mh_net: the io_context a server puts its sockets on.
#pragma once

#include <boost/asio/io_context.hpp>

#include "net/io_context.hpp"

namespace mh::net {

boost::asio::io_context& AsioContextOf(IoContext& io);

}  // namespace mh::net
