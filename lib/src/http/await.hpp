#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace fwm::http {

// How the library's coroutines wait: the error comes back as a value to
// look at, never as an exception thrown across a coroutine frame.
inline constexpr auto kAwait = boost::asio::as_tuple(boost::asio::use_awaitable);

} // namespace fwm::http
