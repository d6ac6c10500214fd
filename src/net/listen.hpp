// Internal to mh_net: what every listener does before it accepts — parse the address, then open, bind and
// listen — with errors that name the listener ("http", "solarman").
#pragma once

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string_view>

#include "core/result.hpp"

namespace mh::net::detail {

// kInvalidArgument for an address that is not an IP literal.
inline Result<boost::asio::ip::tcp::endpoint> EndpointOf(std::string_view name, const std::string& address,
                                                         std::uint16_t port) {
    boost::system::error_code ec;
    const auto ip = boost::asio::ip::make_address(address, ec);
    if (ec) return MakeError(Errc::kInvalidArgument, fmt::format("{}: '{}' is not an IP address", name, address));
    return boost::asio::ip::tcp::endpoint(ip, port);
}

// Opens, binds (SO_REUSEADDR) and listens; returns the port bound. kUnavailable when that fails.
inline Result<std::uint16_t> OpenAndListen(std::string_view name, boost::asio::ip::tcp::acceptor& acceptor,
                                           const boost::asio::ip::tcp::endpoint& endpoint) {
    namespace asio = boost::asio;
    boost::system::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        return MakeError(Errc::kUnavailable,
                         fmt::format("{}: cannot listen on {} port {}: {}", name, endpoint.address().to_string(),
                                     endpoint.port(), ec.message()));
    }
    return acceptor.local_endpoint(ec).port();
}

}  // namespace mh::net::detail
