#pragma once

// The only way into a shard from another thread: a lock-free multi-producer queue of tasks
// (moodycamel) plus a wake-up callback supplied by whoever runs the shard's event loop.

#include <concurrentqueue.h>

#include <cstddef>
#include <functional>
#include <utility>

#include "matching/unique_function.hpp"

namespace fg::matching {

// Thread-safe producers (any thread may push), single consumer (the owning shard's thread).
class inbox {
 public:
    // `wake` must be callable from any thread and must make the owner call drain() soon; it is
    // called after every push, so it should coalesce (see gateway/doorbell.hpp).
    void set_wake(std::function<void()> wake) { wake_ = std::move(wake); }

    void push(task t) {
        queue_.enqueue(std::move(t));
        if (wake_) wake_();
    }

    // Owner thread only. Runs at most `max_tasks` tasks; returns how many ran.
    std::size_t drain(std::size_t max_tasks) {
        std::size_t ran = 0;
        task t;
        while (ran < max_tasks && queue_.try_dequeue(t)) {
            t();
            t = task{};
            ++ran;
        }
        return ran;
    }

    std::size_t size_approx() const { return queue_.size_approx(); }

 private:
    moodycamel::ConcurrentQueue<task> queue_;
    std::function<void()> wake_;
};

}  // namespace fg::matching
