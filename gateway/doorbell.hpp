#pragma once

// Wakes a shard's event loop from any thread: an eventfd the shard's io_context waits on, and
// an atomic flag so that a burst of pushes costs one write(2) rather than one each.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>

namespace fg::gateway {

// Thread-safe: ring() from any thread. start() and the handler run on the owner's thread.
class doorbell {
 public:
    explicit doorbell(boost::asio::io_context& ioc);
    ~doorbell();
    doorbell(const doorbell&) = delete;
    doorbell& operator=(const doorbell&) = delete;

    // `on_ring` runs on the owner's thread after one or more ring() calls.
    void start(std::function<void()> on_ring);
    void ring();

 private:
    void wait();

    boost::asio::posix::stream_descriptor fd_;
    std::atomic<bool> rung_{false};
    std::uint64_t counter_ = 0;
    std::function<void()> on_ring_;
};

}  // namespace fg::gateway
