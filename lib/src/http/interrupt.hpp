// What a running collection is waiting on, so that cancel() can interrupt
// it at once. Touched only on the I/O thread (the collection's coroutine
// and the handler that cancel() posts), so it needs no lock.
#pragma once

#include <boost/asio/steady_timer.hpp>

namespace fwm::http {

struct Connection;

struct Interrupt {
    bool requested = false;                        // cancel() was called
    Connection* connection = nullptr;              // in use by the exchange
    boost::asio::steady_timer* timer = nullptr;    // a pause or a lookup being waited for

    void fire(); // closes the connection and cancels the timer
};

} // namespace fwm::http
