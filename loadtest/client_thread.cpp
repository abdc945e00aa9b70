#include "loadtest/client_thread.hpp"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "loadtest/connection.hpp"

namespace fg::loadtest {

namespace {
constexpr std::int64_t ticker_period_ns = 50'000'000;
// Events taken per epoll_wait: one per connection covers a full round of closed-loop answers.
constexpr int events_per_wait_max = 256;
// epoll tags below this are the timers; connection i's tag carries first_connection_tag + i.
constexpr std::uint64_t arrivals_tag = 0;
constexpr std::uint64_t ticker_tag = 1;
constexpr std::uint32_t first_connection_tag = 2;
// Ledger entries reserved per thread: a generous bound on what one thread can send per second, and
// a cap on the address space claimed up front.
constexpr double ledger_reserve_per_s = 300'000;
constexpr std::uint64_t ledger_reserve_max = 8'000'000;

std::uint64_t share_of(std::uint64_t total, unsigned index, unsigned count) {
    if (total == UINT64_MAX) return total;
    return total / count + (index < total % count ? 1 : 0);
}

timespec to_timespec(std::int64_t ns) {
    return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

int watched_timer(int epoll_fd, std::uint64_t tag) {
    const int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    if (fd < 0 || ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        throw std::runtime_error(std::string("timerfd: ") + std::strerror(errno));
    }
    return fd;
}

void drain_timer(int fd) {
    std::uint64_t expirations = 0;
    [[maybe_unused]] const ssize_t n = ::read(fd, &expirations, sizeof expirations);
}
}  // namespace

client_thread::client_thread(const client_config& cfg, unsigned thread_index)
    : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)),
      cfg_(cfg),
      index_(thread_index),
      orders_(*cfg.work, cfg.zipf, cfg.seed, thread_index, cfg.thread_count),
      writer_(cfg.format),
      schedule_(cfg.rate_per_s > 0 ? cfg.rate_per_s : 1.0) {
    if (epoll_fd_ < 0) throw std::runtime_error(std::string("epoll: ") + std::strerror(errno));
    arrivals_fd_ = watched_timer(epoll_fd_, arrivals_tag);
    ticker_fd_ = watched_timer(epoll_fd_, ticker_tag);
    cfg_.requests_max = share_of(cfg.requests_max, thread_index, cfg.thread_count);
    // Reserving only claims address space; pages are touched as the run fills them. Growing the
    // ledger by reallocation instead cost about 4% of the client's CPU in profiles.
    std::uint64_t expected = ledger_reserve_max;
    if (cfg_.duration_ns != INT64_MAX) {
        expected = static_cast<std::uint64_t>(static_cast<double>(cfg_.duration_ns) / 1e9 *
                                              ledger_reserve_per_s);
    }
    expected = std::min({expected, cfg_.requests_max, ledger_reserve_max});
    ledger_.attempts.reserve(expected);
    ledger_.orders.reserve(expected);
    for (unsigned i = 0; i < cfg_.connections; ++i) {
        connections_.push_back(std::make_unique<connection>(*this, first_connection_tag + i));
    }
}

client_thread::~client_thread() {
    connections_.clear();
    for (const int fd : {arrivals_fd_, ticker_fd_, epoll_fd_}) {
        if (fd >= 0) ::close(fd);
    }
}

bool client_thread::connect_all() {
    for (auto& c : connections_) {
        if (const int err = c->connect_blocking()) {
            error_ = "cannot connect to " + cfg_.endpoint.address().to_string() + ":" +
                     std::to_string(cfg_.endpoint.port()) + ": " + std::strerror(err);
            return false;
        }
    }
    return true;
}

std::int64_t client_thread::now_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                start_)
        .count();
}

void client_thread::run(std::chrono::steady_clock::time_point start) {
    start_ = start;
    std::this_thread::sleep_until(start);  // times are relative to the start: none may precede it
    for (auto& c : connections_) c->start();
    if (cfg_.mode == loop_mode::open) arm_open_loop_timer();
    const itimerspec tick{to_timespec(ticker_period_ns), to_timespec(ticker_period_ns)};
    ::timerfd_settime(ticker_fd_, 0, &tick, nullptr);
    check_done();
    while (!stopping_) poll_once();
}

void client_thread::poll_once() {
    epoll_event events[events_per_wait_max];
    const int n = ::epoll_wait(epoll_fd_, events, events_per_wait_max, -1);
    if (n < 0) {
        if (errno == EINTR) return;
        throw std::runtime_error(std::string("epoll_wait: ") + std::strerror(errno));
    }
    for (int i = 0; i < n && !stopping_; ++i) {
        const std::uint64_t tag = events[i].data.u64;
        if (tag == arrivals_tag) {
            on_arrivals();
        } else if (tag == ticker_tag) {
            on_tick();
        } else {
            connection& c = *connections_[connection::tag_index(tag) - first_connection_tag];
            // A stale event of a socket closed earlier in this batch is dropped.
            if (c.tag() == tag) c.on_event(events[i].events);
        }
    }
}

bool client_thread::may_issue(std::int64_t intended_ns) const {
    return !stopping_ && issued_ < cfg_.requests_max && intended_ns < cfg_.duration_ns;
}

std::int64_t client_thread::next_attempt(std::int64_t now_ns) {
    if (cfg_.mode == loop_mode::open) {
        if (due_head_ == due_.size()) return -1;
        return due_[due_head_++];
    }
    if (!may_issue(now_ns)) return -1;
    attempt a;
    a.order = orders_.next(ledger_);
    a.intended_ns = now_ns;  // closed loop: due the moment its predecessor finished
    ledger_.attempts.push_back(a);
    ++issued_;
    ++in_flight_;
    return static_cast<std::int64_t>(ledger_.attempts.size() - 1);
}

void client_thread::mark_idle(connection* c) {
    if (c->in_idle_list) return;
    c->in_idle_list = true;
    idle_.push_back(c);
}

void client_thread::on_finished(unsigned n) {
    in_flight_ -= n;
    check_done();
}

void client_thread::release_due() {
    const std::int64_t now = now_ns();
    for (;;) {
        const std::int64_t intended = schedule_.intended_ns(index_ + issued_ * cfg_.thread_count);
        if (intended > now || !may_issue(intended)) break;
        attempt a;
        a.order = orders_.next(ledger_);
        a.intended_ns = intended;
        ledger_.attempts.push_back(a);
        due_.push_back(static_cast<std::uint32_t>(ledger_.attempts.size() - 1));
        ++issued_;
        ++in_flight_;
    }
}

void client_thread::dispatch_due() {
    const std::int64_t now = now_ns();
    while (due_head_ < due_.size() && !idle_.empty()) {
        connection* c = idle_.back();
        idle_.pop_back();
        c->in_idle_list = false;
        c->pump(now);
    }
    // What is still waiting found no free connection at its intended time.
    for (std::size_t i = due_head_; i < due_.size(); ++i) ledger_.attempts[due_[i]].late = 1;
    if (due_head_ == due_.size()) {
        due_.clear();
        due_head_ = 0;
    }
}

void client_thread::arm_open_loop_timer() {
    const std::int64_t next = schedule_.intended_ns(index_ + issued_ * cfg_.thread_count);
    if (!may_issue(next)) return;
    // Absolute on CLOCK_MONOTONIC, which is what steady_clock reads on Linux.
    const std::int64_t at_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(start_.time_since_epoch()).count() +
        std::max<std::int64_t>(next, 1);
    const itimerspec when{{0, 0}, to_timespec(at_ns)};
    ::timerfd_settime(arrivals_fd_, TFD_TIMER_ABSTIME, &when, nullptr);
}

void client_thread::on_arrivals() {
    drain_timer(arrivals_fd_);
    release_due();
    dispatch_due();
    arm_open_loop_timer();
    check_done();
}

void client_thread::on_tick() {
    drain_timer(ticker_fd_);
    const std::int64_t now = now_ns();
    for (auto& c : connections_) {
        c->on_tick(now);
        if (stopping_) return;
    }
    // Past the end plus one timeout, whatever is still waiting stays unknown.
    if (cfg_.duration_ns != INT64_MAX && now > cfg_.duration_ns + cfg_.timeout_ns) {
        return begin_stop();
    }
    check_done();
}

void client_thread::check_done() {
    if (stopping_ || in_flight_ > 0) return;
    const bool more = cfg_.mode == loop_mode::open
                          ? may_issue(schedule_.intended_ns(index_ + issued_ * cfg_.thread_count))
                          : may_issue(now_ns());
    if (!more) begin_stop();
}

void client_thread::begin_stop() {
    stopping_ = true;
    const itimerspec off{};
    ::timerfd_settime(arrivals_fd_, 0, &off, nullptr);
    ::timerfd_settime(ticker_fd_, 0, &off, nullptr);
    for (auto& c : connections_) c->shut();
}

}  // namespace fg::loadtest
