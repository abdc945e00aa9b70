#include "gateway/doorbell.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <stdexcept>

namespace fg::gateway {

namespace {
int make_eventfd() {
    int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) throw std::runtime_error("eventfd failed");
    return fd;
}
}  // namespace

doorbell::doorbell(boost::asio::io_context& ioc) : fd_(ioc, make_eventfd()) {}

doorbell::~doorbell() = default;

void doorbell::start(std::function<void()> on_ring) {
    on_ring_ = std::move(on_ring);
    wait();
}

void doorbell::ring() {
    // acq_rel: the acquire half orders this after the producer's push into the inbox is
    // visible; the release half lets the owner's exchange(false) see that push.
    if (!rung_.exchange(true, std::memory_order_acq_rel)) {
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(fd_.native_handle(), &one, sizeof one);
    }
}

void doorbell::wait() {
    fd_.async_read_some(boost::asio::buffer(&counter_, sizeof counter_),
                        [this](const boost::system::error_code& ec, std::size_t) {
                            if (ec == boost::asio::error::operation_aborted) return;
                            // Reset before running the handler: a ring() that lands while it
                            // runs writes the eventfd again, so no wake-up is lost.
                            rung_.exchange(false, std::memory_order_acq_rel);
                            on_ring_();
                            wait();
                        });
}

}  // namespace fg::gateway
