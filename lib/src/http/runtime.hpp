// The library's one I/O runtime: an io_context and the thread that runs it
// (and, from first use, a worker thread for CPU work), started by the first
// client handle and stopped when the last one (and the last piece of
// abandoned work) lets go of it.
#pragma once

#include "util/platform.hpp"


#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>

namespace fwm::http {

class Runtime {
public:
    // The running runtime of this process, started if needed. Holders keep
    // it alive. After fork() the child gets a new one: the parent's thread
    // does not exist there.
    static std::shared_ptr<Runtime> acquire();

    boost::asio::io_context& context() { return *context_; }

    // The worker: a second thread, started on first use, for CPU work that
    // must not hold up the I/O thread every handle's network work shares
    // (decoding and reading REST answers of up to api_max_response_bytes).
    boost::asio::io_context& worker();

    // The process this runtime's thread runs in.
    util::ProcessId pid() const { return pid_; }
    bool forked() const;
    std::thread::id thread_id() const;

    // True in a child of a fork() taken while the library's I/O thread ran:
    // OpenSSL or the C library may hold locks here that nothing releases.
    static bool child_of_fork();

    Runtime();
    ~Runtime(); // stops the contexts and joins the threads (in its own process)
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    struct Thread; // a context's thread (runtime.cpp)

private:
    util::ProcessId pid_;
    // Shared with the thread: when the last holder lets go from inside a
    // handler, the context outlives the run() it is still in.
    std::shared_ptr<boost::asio::io_context> context_;
    std::unique_ptr<Thread> thread_;
    std::mutex worker_mutex_;
    std::shared_ptr<boost::asio::io_context> worker_context_; // under worker_mutex_ until set
    std::unique_ptr<Thread> worker_;
};

} // namespace fwm::http
