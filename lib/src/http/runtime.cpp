#include "http/runtime.hpp"
#include "util/platform.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <boost/asio/post.hpp>

#include <boost/asio/executor_work_guard.hpp>

namespace fwm::http {

struct Runtime::Thread {
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
    std::thread thread;
};

namespace {

std::mutex& acquire_mutex()
{
    static std::mutex& m = *new std::mutex();
    return m;
}

std::weak_ptr<Runtime>& current()
{
    static std::weak_ptr<Runtime>& w = *new std::weak_ptr<Runtime>();
    return w;
}

// Around fork(), the I/O thread waits in a handler of ours, so that it is
// not inside OpenSSL (whose locks the child would inherit held) when the
// process is copied.
enum ParkState : int { kNone, kAsked, kParked, kReleased };
std::atomic<int> g_park{kNone};
std::atomic<unsigned> g_fork_number{0}; // which fork a park handler was posted for
std::shared_ptr<Runtime>* g_parked = nullptr; // the runtime parked for the fork in progress
std::atomic<bool> g_child_of_busy_fork{false};

void park_io_thread(const std::shared_ptr<Runtime>& rt)
{
    const unsigned fork_number = ++g_fork_number;
    g_park.store(kAsked);
    boost::asio::post(rt->context(), [fork_number] {
        // Late for its fork (the fork went ahead without it): nothing to wait for.
        int asked = kAsked;
        if (g_fork_number.load() != fork_number || !g_park.compare_exchange_strong(asked, kParked))
            return;
        g_park.notify_all();
        while (g_park.load() == kParked) // until the parent's handler lets go
            g_park.wait(kParked);
    });
    // A handler runs for microseconds; if the thread is busy elsewhere, fork anyway.
    for (int i = 0; i < 2000 && g_park.load() != kParked; ++i)
        std::this_thread::sleep_for(std::chrono::microseconds(100));
}

void lock_runtime_for_fork()
{
    acquire_mutex().lock();
    auto rt = current().lock();
    if (rt && !rt->forked() && std::this_thread::get_id() != rt->thread_id()) {
        park_io_thread(rt);
        g_parked = new std::shared_ptr<Runtime>(std::move(rt));
    }
}

void unlock_runtime_in_parent()
{
    if (g_parked) {
        g_park.store(kReleased);
        g_park.notify_all();
        delete g_parked; // the handler holds no reference: the runtime lives on as before
        g_parked = nullptr;
    }
    acquire_mutex().unlock();
}

void unlock_runtime_in_child()
{
    if (g_parked) {
        // The parent's runtime: its thread does not exist here. Never freed.
        g_child_of_busy_fork.store(true);
        g_parked = nullptr;
    }
    g_park.store(kNone);
    acquire_mutex().unlock();
}

} // namespace

bool Runtime::child_of_fork()
{
    return g_child_of_busy_fork.load();
}

namespace {

// A thread that runs `context` until it is stopped.
std::unique_ptr<Runtime::Thread> start_thread(const std::shared_ptr<boost::asio::io_context>& context)
{
    auto t = std::make_unique<Runtime::Thread>(Runtime::Thread{boost::asio::make_work_guard(*context), {}});
    t->thread = std::thread([context] {
        // Handlers never throw (every operation reports through its result),
        // but a stray exception must not end the thread while handles wait.
        for (;;) {
            try {
                context->run();
                return;
            } catch (...) {
            }
        }
    });
    return t;
}

// Stops a thread's context and joins it, or leaves it to end by itself
// when this is that thread (the last holder let go from one of its handlers).
void stop_thread(Runtime::Thread& t, boost::asio::io_context& context)
{
    t.work.reset();
    context.stop();
    if (!t.thread.joinable())
        return;
    if (t.thread.get_id() == std::this_thread::get_id())
        t.thread.detach(); // the thread owns the context
    else
        t.thread.join();
}

} // namespace

Runtime::Runtime()
    : pid_(util::process_id()), context_(std::make_shared<boost::asio::io_context>(1))
{
    thread_ = start_thread(context_);
}

boost::asio::io_context& Runtime::worker()
{
    std::lock_guard lock(worker_mutex_);
    if (!worker_) {
        auto context = std::make_shared<boost::asio::io_context>(1);
        worker_ = start_thread(context);
        worker_context_ = std::move(context);
    }
    return *worker_context_;
}

bool Runtime::forked() const
{
    return pid_ != util::process_id();
}

std::thread::id Runtime::thread_id() const
{
    return thread_->thread.get_id();
}

Runtime::~Runtime()
{
    if (forked()) {
        // In a child of fork(): the thread is the parent's and does not exist
        // here, and the context's descriptors (epoll, sockets) are shared with
        // the parent. Touching them would disturb the parent: leave it all.
        new std::shared_ptr<boost::asio::io_context>(std::move(context_));
        (void)thread_.release();
        if (worker_) {
            new std::shared_ptr<boost::asio::io_context>(std::move(worker_context_));
            (void)worker_.release();
        }
        return;
    }
    if (worker_)
        stop_thread(*worker_, *worker_context_);
    stop_thread(*thread_, *context_);
}

std::shared_ptr<Runtime> Runtime::acquire()
{
    static const int registered =
        util::at_fork(lock_runtime_for_fork, unlock_runtime_in_parent, unlock_runtime_in_child);
    (void)registered;
    std::lock_guard lock(acquire_mutex());
    auto rt = current().lock();
    if (rt && rt->forked()) {
        // The parent's runtime, inherited by fork(): never used nor freed here.
        new std::shared_ptr<Runtime>(std::move(rt));
    }
    if (!rt) {
        rt = std::make_shared<Runtime>();
        current() = rt;
    }
    return rt;
}

} // namespace fwm::http
