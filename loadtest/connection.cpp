#include "loadtest/connection.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "loadtest/client_thread.hpp"

namespace fg::loadtest {

namespace {
constexpr std::size_t read_buffer_bytes = 16 * 1024;
constexpr std::size_t write_buffer_bytes = 4096;
constexpr std::int64_t reconnect_backoff_ns = 100'000'000;

// `type_flags`: SOCK_NONBLOCK for the run's reconnects, 0 for the blocking set-up connect.
int open_socket(const sockaddr* addr, int type_flags) {
    const int fd = ::socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | type_flags, 0);
    if (fd < 0) return -1;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}
}  // namespace

connection::connection(client_thread& owner, std::uint32_t index)
    : owner_(owner), index_(index), in_(read_buffer_bytes), flight_(owner.config().pipeline) {
    out_.reserve(write_buffer_bytes);
}

connection::~connection() {
    if (fd_ >= 0) ::close(fd_);
}

int connection::connect_blocking() {
    const auto& ep = owner_.config().endpoint;
    fd_ = open_socket(ep.data(), 0);
    if (fd_ < 0) return errno;
    if (::connect(fd_, ep.data(), static_cast<socklen_t>(ep.size())) != 0) return errno;
    const int flags = ::fcntl(fd_, F_GETFL);
    if (::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) != 0) return errno;
    state_ = link::open;
    return 0;
}

void connection::start() {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag();
    ::epoll_ctl(owner_.epoll_fd(), EPOLL_CTL_ADD, fd_, &ev);
    want_write_ = false;
    pump(owner_.now_ns());
}

void connection::watch(std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag();
    ::epoll_ctl(owner_.epoll_fd(), EPOLL_CTL_MOD, fd_, &ev);
}

void connection::pump(std::int64_t now_ns) {
    if (state_ != link::open) return;
    ledger& book = owner_.book();
    const std::size_t depth = flight_.size();
    while (flight_count_ < depth) {
        const std::int64_t id = owner_.next_attempt(now_ns);
        if (id < 0) break;
        attempt& a = book.attempts[static_cast<std::size_t>(id)];
        a.sent_ns = now_ns;
        owner_.writer().append(out_, book.orders[a.order]);
        std::size_t slot = flight_head_ + flight_count_;
        if (slot >= depth) slot -= depth;
        flight_[slot] = static_cast<std::uint32_t>(id);
        ++flight_count_;
    }
    if (flight_count_ < depth) owner_.mark_idle(this);
    if (!want_write_ && out_.size() > out_sent_) flush();
}

void connection::flush() {
    // Straight from the formatted bytes; EPOLLOUT is watched only while the socket pushes back.
    while (out_sent_ < out_.size()) {
        const ssize_t n =
            ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) return fail();
            if (!want_write_) {
                want_write_ = true;
                watch(EPOLLIN | EPOLLOUT);
            }
            return;
        }
        out_sent_ += static_cast<std::size_t>(n);
    }
    out_.clear();
    out_sent_ = 0;
    if (want_write_) {
        want_write_ = false;
        watch(EPOLLIN);
    }
}

void connection::on_event(std::uint32_t events) {
    if (state_ == link::connecting) return on_connected();
    if (state_ != link::open) return;
    if ((events & EPOLLOUT) != 0) {
        const std::uint32_t gen = generation_;
        flush();
        if (gen != generation_) return;
    }
    if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) on_readable();
}

void connection::on_readable() {
    std::size_t got = 0;
    bool closed = false;
    for (;;) {
        if (in_size_ == in_.size()) in_.resize(in_.size() * 2);  // one answer larger than it
        const std::size_t room = in_.size() - in_size_;
        const ssize_t n = ::recv(fd_, in_.data() + in_size_, room, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            closed = true;
            break;
        }
        if (n == 0) {
            closed = true;
            break;
        }
        in_size_ += static_cast<std::size_t>(n);
        got += static_cast<std::size_t>(n);
        // Level-triggered: what is left (if anything) wakes the next epoll_wait.
        if (static_cast<std::size_t>(n) < room) break;
    }
    const std::uint32_t gen = generation_;
    unsigned done = 0;
    if (got > 0) {
        // One clock read per arrival: the answers framed from it all arrived now, and in closed
        // loop the requests that replace them are sent now.
        const std::int64_t now = owner_.now_ns();
        done = consume_responses(now);
        if (gen != generation_) return;  // a malformed or closing answer reset the connection
        if (!closed) pump(now);
    }
    if (closed && gen == generation_) {
        if (done > 0) owner_.on_finished(done);
        return fail();
    }
    // Last: this may end the run and close every connection, this one included.
    if (done > 0) owner_.on_finished(done);
}

unsigned connection::consume_responses(std::int64_t now_ns) {
    std::size_t offset = 0;
    unsigned done = 0;
    while (offset < in_size_) {
        const response_view r =
            parse_response(std::string_view(in_.data() + offset, in_size_ - offset));
        if (r.result == response_view::state::incomplete) break;
        const bool unusable = r.result == response_view::state::malformed || flight_count_ == 0;
        if (!unusable) {
            record(r, now_ns);
            ++done;
            offset += r.size;
        }
        if (unusable || r.connection_close) {
            fail();
            if (done > 0) owner_.on_finished(done);
            return 0;
        }
    }
    if (offset > 0) {
        std::memmove(in_.data(), in_.data() + offset, in_size_ - offset);
        in_size_ -= offset;
    }
    return done;
}

void connection::record(const response_view& r, std::int64_t now_ns) {
    ledger& book = owner_.book();
    attempt& a = book.attempts[flight_[flight_head_]];
    if (++flight_head_ == flight_.size()) flight_head_ = 0;
    --flight_count_;
    a.done_ns = now_ns;
    a.status = static_cast<std::uint16_t>(r.status);
    if (r.status == 200 || r.status == 201) {
        a.result = outcome::acknowledged;
        const std::string_view id = find_json_string(r.body, "\"order_id\":\"");
        std::memcpy(a.order_id.data(), id.data(), std::min(id.size(), order_id_chars_max));
        return;
    }
    const std::string_view code = find_json_string(r.body, "\"code\":\"");
    if ((r.status < 400 || r.status >= 500) && r.status != 503) return;  // unknown
    if (code.empty()) return;
    a.result = outcome::refused;
    a.code = book.intern_code(code);
    // The problem's sku_id names the item at fault: match it back by catalogue index.
    const std::string_view sku = find_json_string(r.body, "\"sku_id\":\"");
    const std::string& prefix = owner_.config().format.sku_prefix;
    if (!sku.starts_with(prefix)) return;
    std::uint32_t index = 0;
    if (std::from_chars(sku.data() + prefix.size(), sku.data() + sku.size(), index).ec !=
        std::errc{}) {
        return;
    }
    const logical_order& o = book.orders[a.order];
    for (unsigned i = 0; i < o.item_count; ++i) {
        if (o.items[i].sku == index) a.fault_item = static_cast<std::uint8_t>(i);
    }
}

void connection::on_tick(std::int64_t now_ns) {
    if (state_ == link::backoff) {
        if (now_ns >= retry_at_ns_ && !owner_.stopping()) reconnect();
        return;
    }
    if (flight_count_ == 0) return;
    const attempt& oldest = owner_.book().attempts[flight_[flight_head_]];
    if (now_ns - oldest.sent_ns > owner_.config().timeout_ns) fail();
}

void connection::fail() {
    // What was in flight may or may not have been applied by the server: unknown.
    const auto lost = static_cast<unsigned>(flight_count_);
    flight_count_ = 0;
    flight_head_ = 0;
    shut();
    if (lost > 0) owner_.on_finished(lost);
    if (!owner_.stopping()) reconnect();
}

void connection::shut() {
    ++generation_;
    state_ = link::closed;
    want_write_ = false;
    out_.clear();
    out_sent_ = 0;
    in_size_ = 0;
    if (fd_ >= 0) ::close(fd_);  // closing also leaves the epoll set
    fd_ = -1;
}

void connection::reconnect() {
    const auto& ep = owner_.config().endpoint;
    fd_ = open_socket(ep.data(), SOCK_NONBLOCK);
    if (fd_ >= 0 && (::connect(fd_, ep.data(), static_cast<socklen_t>(ep.size())) == 0 ||
                     errno == EINPROGRESS)) {
        // The handshake's end shows as writability.
        state_ = link::connecting;
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.u64 = tag();
        if (::epoll_ctl(owner_.epoll_fd(), EPOLL_CTL_ADD, fd_, &ev) == 0) return;
    }
    shut();
    state_ = link::backoff;
    retry_at_ns_ = owner_.now_ns() + reconnect_backoff_ns;
}

void connection::on_connected() {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
        shut();
        state_ = link::backoff;
        retry_at_ns_ = owner_.now_ns() + reconnect_backoff_ns;
        return;
    }
    state_ = link::open;
    watch(EPOLLIN);
    pump(owner_.now_ns());
}

}  // namespace fg::loadtest
