#include "loadtest/connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>

#include "loadtest/client_thread.hpp"

namespace fg::loadtest {

namespace asio = boost::asio;

namespace {
constexpr std::size_t read_buffer_bytes = 16 * 1024;
constexpr auto reconnect_backoff = std::chrono::milliseconds(100);
}  // namespace

connection::connection(client_thread& owner)
    : owner_(owner),
      socket_(owner.io()),
      backoff_(owner.io()),
      in_(read_buffer_bytes),
      flight_(owner.config().pipeline) {
    out_.reserve(4096);
    pending_.reserve(4096);
}

boost::system::error_code connection::connect_blocking() {
    boost::system::error_code ec;
    socket_.connect(owner_.config().endpoint, ec);
    if (!ec) {
        socket_.set_option(asio::ip::tcp::no_delay(true), ec);
        if (!ec) socket_.non_blocking(true, ec);
        connected_ = !ec;
    }
    return ec;
}

void connection::start() {
    read();
    pump();
}

void connection::pump() {
    if (!connected_) return;
    ledger& book = owner_.book();
    while (flight_count_ < flight_.size()) {
        const std::int64_t id = owner_.next_attempt();
        if (id < 0) break;
        attempt& a = book.attempts[static_cast<std::size_t>(id)];
        a.sent_ns = owner_.now_ns();
        owner_.writer().append(pending_, book.orders[a.order]);
        flight_[(flight_head_ + flight_count_) % flight_.size()] = static_cast<std::uint32_t>(id);
        ++flight_count_;
    }
    if (flight_count_ < flight_.size()) owner_.mark_idle(this);
    if (!writing_ && !pending_.empty()) write_pending();
}

void connection::write_pending() {
    // Try the write in place first: it nearly always completes at once, and skipping the
    // asynchronous path saves a trip through the scheduler per request.
    boost::system::error_code ec;
    const std::size_t n = socket_.write_some(asio::buffer(pending_), ec);
    if (ec && ec != asio::error::would_block) return fail();
    if (!ec && n == pending_.size()) {
        pending_.clear();
        return;
    }
    out_.assign(pending_, ec ? 0 : n);
    pending_.clear();
    writing_ = true;
    asio::async_write(socket_, asio::buffer(out_),
                      [this, gen = generation_](boost::system::error_code wec, std::size_t) {
                          if (gen != generation_) return;
                          writing_ = false;
                          if (wec) return fail();
                          if (!pending_.empty()) write_pending();
                      });
}

void connection::read() {
    // Wait for readability, then read without blocking: async_read_some would first try a
    // speculative recv right after the request went out, which almost always finds nothing and
    // cost one wasted syscall per request (about 0.9 recv per request in profiles).
    socket_.async_wait(asio::ip::tcp::socket::wait_read,
                       [this, gen = generation_](boost::system::error_code ec) {
                           if (gen != generation_) return;
                           if (ec) return fail();
                           on_readable();
                       });
}

void connection::on_readable() {
    boost::system::error_code ec;
    std::size_t got = 0;
    for (;;) {
        if (in_size_ == in_.size())
            in_.resize(in_.size() * 2);  // one answer larger than the buffer
        const std::size_t room = in_.size() - in_size_;
        const std::size_t n = socket_.read_some(asio::buffer(in_.data() + in_size_, room), ec);
        if (ec == asio::error::would_block) break;
        if (ec) return fail();
        in_size_ += n;
        got += n;
        if (n < room) break;  // drained: the next arrival is a new readiness edge
    }
    if (got == 0) return read();
    on_read();
}

void connection::on_read() {
    const std::uint64_t gen = generation_;
    const unsigned done = consume_responses();
    if (gen != generation_) return;  // a malformed or closing answer reset the connection
    pump();
    read();
    // Last: this may end the run and close every connection, this one included.
    if (done > 0) owner_.on_finished(done);
}

unsigned connection::consume_responses() {
    std::size_t offset = 0;
    unsigned done = 0;
    while (offset < in_size_) {
        const response_view r =
            parse_response(std::string_view(in_.data() + offset, in_size_ - offset));
        if (r.result == response_view::state::incomplete) break;
        const bool unusable = r.result == response_view::state::malformed || flight_count_ == 0;
        if (!unusable) {
            record(r);
            ++done;
            offset += r.size;
        }
        if (unusable || r.connection_close) {
            if (done > 0) owner_.on_finished(done);
            fail();
            return 0;
        }
    }
    if (offset > 0) {
        std::memmove(in_.data(), in_.data() + offset, in_size_ - offset);
        in_size_ -= offset;
    }
    return done;
}

void connection::record(const response_view& r) {
    ledger& book = owner_.book();
    attempt& a = book.attempts[flight_[flight_head_]];
    flight_head_ = (flight_head_ + 1) % flight_.size();
    --flight_count_;
    a.done_ns = owner_.now_ns();
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

void connection::check_timeout(std::int64_t now_ns) {
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
    connected_ = false;
    writing_ = false;
    out_.clear();
    pending_.clear();
    in_size_ = 0;
    boost::system::error_code ignored;
    socket_.close(ignored);
    backoff_.cancel();
}

void connection::reconnect() {
    socket_.async_connect(
        owner_.config().endpoint, [this, gen = generation_](boost::system::error_code ec) {
            if (gen != generation_ || owner_.stopping()) return;
            if (ec) {
                boost::system::error_code ignored;
                socket_.close(ignored);
                backoff_.expires_after(reconnect_backoff);
                backoff_.async_wait([this, gen](boost::system::error_code wait_ec) {
                    if (!wait_ec && gen == generation_ && !owner_.stopping()) reconnect();
                });
                return;
            }
            boost::system::error_code ignored;
            socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
            socket_.non_blocking(true, ignored);
            connected_ = true;
            start();
        });
}

}  // namespace fg::loadtest
