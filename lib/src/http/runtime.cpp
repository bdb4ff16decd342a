#include "http/runtime.hpp"

#include <pthread.h>
#include <unistd.h>

#include <mutex>
#include <thread>

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

void lock_for_fork()
{
    acquire_mutex().lock();
}

void unlock_after_fork()
{
    acquire_mutex().unlock();
}

} // namespace

Runtime::Runtime()
    : pid_(::getpid()), context_(std::make_shared<boost::asio::io_context>(1))
{
    thread_ = std::make_unique<Thread>(Thread{boost::asio::make_work_guard(*context_), {}});
    thread_->thread = std::thread([context = context_] {
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
}

bool Runtime::forked() const
{
    return pid_ != ::getpid();
}

Runtime::~Runtime()
{
    if (forked()) {
        // In a child of fork(): the thread is the parent's and does not exist
        // here, and the context's descriptors (epoll, sockets) are shared with
        // the parent. Touching them would disturb the parent: leave it all.
        new std::shared_ptr<boost::asio::io_context>(std::move(context_));
        (void)thread_.release();
        return;
    }
    thread_->work.reset();
    context_->stop();
    if (thread_->thread.joinable()) {
        if (thread_->thread.get_id() == std::this_thread::get_id())
            thread_->thread.detach(); // the last holder let go from a handler: the thread owns the context
        else
            thread_->thread.join();
    }
}

std::shared_ptr<Runtime> Runtime::acquire()
{
    static const int registered = pthread_atfork(lock_for_fork, unlock_after_fork, unlock_after_fork);
    (void)registered;
    static std::weak_ptr<Runtime>& current = *new std::weak_ptr<Runtime>();
    std::lock_guard lock(acquire_mutex());
    auto rt = current.lock();
    if (rt && rt->forked()) {
        // The parent's runtime, inherited by fork(): never used nor freed here.
        new std::shared_ptr<Runtime>(std::move(rt));
    }
    if (!rt) {
        rt = std::make_shared<Runtime>();
        current = rt;
    }
    return rt;
}

} // namespace fwm::http
