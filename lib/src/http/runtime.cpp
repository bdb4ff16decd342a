#include "http/runtime.hpp"

#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>

namespace fwm::http {

struct Runtime::Thread {
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
    std::thread thread;
};

Runtime::Runtime()
    : context_(1)
{
    thread_ = std::make_unique<Thread>(Thread{boost::asio::make_work_guard(context_), {}});
    thread_->thread = std::thread([this] {
        // Handlers never throw (every operation reports through its result),
        // but a stray exception must not end the thread while handles wait.
        for (;;) {
            try {
                context_.run();
                return;
            } catch (...) {
            }
        }
    });
}

Runtime::~Runtime()
{
    thread_->work.reset();
    context_.stop();
    if (thread_->thread.joinable()) {
        if (thread_->thread.get_id() == std::this_thread::get_id())
            thread_->thread.detach(); // the last handle was freed from a handler
        else
            thread_->thread.join();
    }
}

std::shared_ptr<Runtime> Runtime::acquire()
{
    static std::mutex mutex;
    static std::weak_ptr<Runtime> current;
    std::lock_guard lock(mutex);
    auto rt = current.lock();
    if (!rt) {
        rt = std::make_shared<Runtime>();
        current = rt;
    }
    return rt;
}

} // namespace fwm::http
