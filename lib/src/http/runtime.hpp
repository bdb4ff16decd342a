// The library's one I/O runtime: an io_context and the thread that runs it,
// started by the first client handle and stopped when the last one goes.
#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>

namespace fwm::http {

class Runtime {
public:
    // The running runtime, started if needed. Holders keep it alive.
    static std::shared_ptr<Runtime> acquire();

    boost::asio::io_context& context() { return context_; }

    Runtime();
    ~Runtime(); // stops the context and joins the thread
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

private:
    struct Thread;
    boost::asio::io_context context_;
    std::unique_ptr<Thread> thread_;
};

} // namespace fwm::http
