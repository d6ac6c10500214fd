// The compiled parts of Asio and Beast, built once for the whole program (BOOST_ASIO_SEPARATE_COMPILATION,
// BOOST_BEAST_SEPARATE_COMPILATION): every other translation unit only sees declarations, which keeps builds
// fast. Any target that includes Asio links mh_asio so that all agree on these definitions.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
