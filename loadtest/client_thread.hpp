#pragma once

// One client thread: its own epoll loop, its share of the connections, its own ledger. Closed
// loop: every connection keeps `pipeline` requests in flight. Open loop: a timer releases requests
// at their intended times to whichever connection has room; the rest wait, counted as late.
// The loop is raw epoll plus two timerfds (arrivals, the 50 ms ticker) rather than an Asio
// io_context: see connection.hpp for why.

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "loadtest/ledger.hpp"
#include "loadtest/open_loop_schedule.hpp"
#include "loadtest/order_generator.hpp"
#include "loadtest/request_writer.hpp"

namespace fg::loadtest {

class connection;

enum class loop_mode { closed, open };

struct client_config {
    boost::asio::ip::tcp::endpoint endpoint;
    loop_mode mode = loop_mode::closed;
    unsigned connections = 64;                // this thread's share
    unsigned pipeline = 1;                    // requests in flight per connection
    double rate_per_s = 0;                    // open loop: the whole run's rate
    std::uint64_t requests_max = UINT64_MAX;  // the whole run's bound
    std::int64_t duration_ns = INT64_MAX;     // no new request is due at or after this
    std::int64_t timeout_ns = 5'000'000'000;  // per request; then the connection is reset
    unsigned thread_count = 1;
    std::uint64_t seed = 1;
    const workload* work = nullptr;
    const zipf_sampler* zipf = nullptr;
    request_format format;
};

// Thread-local: built, run and read by one thread; the runner reads the ledger after join().
class client_thread {
 public:
    client_thread(const client_config& cfg, unsigned thread_index);
    ~client_thread();

    // Opens the connections (blocking); false with error() set if one cannot be opened.
    bool connect_all();
    // Runs the load from `start` until done; blocks.
    void run(std::chrono::steady_clock::time_point start);

    ledger& result() { return ledger_; }
    const std::string& error() const { return error_; }

    // For connections: the next attempt to send at `now_ns`, or -1.
    std::int64_t next_attempt(std::int64_t now_ns);
    void mark_idle(connection* c);
    void on_finished(unsigned n);  // n attempts left flight (answered or failed)
    std::int64_t now_ns() const;
    bool stopping() const { return stopping_; }
    int epoll_fd() const { return epoll_fd_; }
    const client_config& config() const { return cfg_; }
    request_writer& writer() { return writer_; }
    ledger& book() { return ledger_; }

 private:
    void arm_open_loop_timer();
    void on_arrivals();
    void release_due();
    void dispatch_due();
    void on_tick();
    void poll_once();
    void begin_stop();
    void check_done();
    bool may_issue(std::int64_t intended_ns) const;

    int epoll_fd_ = -1;     // the connections' sockets and both timers
    int arrivals_fd_ = -1;  // timerfd, open loop: the next intended send time
    int ticker_fd_ = -1;    // timerfd: timeouts, reconnect back-off, the end of the run
    client_config cfg_;
    unsigned index_;
    std::chrono::steady_clock::time_point start_;
    ledger ledger_;
    order_generator orders_;
    request_writer writer_;
    open_loop_schedule schedule_;
    std::vector<std::unique_ptr<connection>> connections_;
    std::vector<connection*> idle_;
    std::vector<std::uint32_t> due_;  // open loop: released, waiting for a connection (FIFO)
    std::size_t due_head_ = 0;
    std::uint64_t issued_ = 0;     // requests this thread has issued
    std::uint64_t in_flight_ = 0;  // issued and not yet finished
    bool stopping_ = false;
    std::string error_;
};

}  // namespace fg::loadtest
