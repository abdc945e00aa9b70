// GET /v1/events: the HTTP side of the live event feed (gateway/event_feed.hpp). The handler
// takes the connection over from its session and streams Server-Sent Events on the worker's
// thread until the client goes away or the server stops.

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/field.hpp>
#include <charconv>
#include <chrono>

#include "gateway/event_feed.hpp"
#include "gateway/handlers.hpp"
#include "gateway/router.hpp"
#include "gateway/server.hpp"

namespace fg::gateway {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

constexpr auto keep_alive_interval = std::chrono::seconds(15);  // a comment after this silence
constexpr std::size_t write_bytes_max = 256 * 1024;  // one write pass copies at most this

// Shard-local: lives on the worker that accepted the connection; the feed reaches it only
// through its channel's wake(), which posts to this worker's io_context.
class event_subscriber : public std::enable_shared_from_this<event_subscriber> {
 public:
    event_subscriber(worker& w, client_socket socket, std::shared_ptr<event_hub> hub)
        : socket_(std::move(socket)),
          hub_(std::move(hub)),
          channel_(std::make_shared<event_channel>()),
          timer_(w.ioc),
          ioc_(w.ioc) {}
    ~event_subscriber() {
        channel_->closed.store(true, std::memory_order_relaxed);
        hub_->leave();
    }
    event_subscriber(const event_subscriber&) = delete;
    event_subscriber& operator=(const event_subscriber&) = delete;

    // Writes the response head, then registers with the feed and streams.
    void start(std::string head, std::optional<std::uint64_t> last_id) {
        std::weak_ptr<event_subscriber> weak = weak_from_this();
        channel_->wake = [ex = ioc_.get_executor(), weak] {
            asio::post(ex, [weak] {
                if (auto self = weak.lock()) self->pump();
            });
        };
        out_ = std::move(head);
        if (last_id) {
            hub_->subscribe_resume(channel_, *last_id);
        } else {
            hub_->subscribe_live(channel_);
        }
        write_out();
        read_peer();
        arm_keep_alive();
    }

 private:
    // Takes what is pending for this subscriber (resume text first, then the ring) and writes
    // it; one write at a time, the next pass runs when it completes.
    void pump() {
        if (closed_ || writing_) return;
        out_.clear();
        std::uint64_t events = 0;
        bool attached = false;
        bool failed = false;
        {
            std::lock_guard lock(channel_->mu);
            out_.swap(channel_->backlog);
            events = channel_->backlog_events;
            channel_->backlog_events = 0;
            attached = channel_->attached;
            failed = channel_->failed;
            if (attached && !cursor_set_) {
                cursor_ = channel_->cursor;
                skip_through_lsn_ = channel_->skip_through_lsn;
                cursor_set_ = true;
            }
        }
        if (attached && !closing_ &&
            !hub_->ring.copy_since(cursor_, skip_through_lsn_, out_, write_bytes_max, events)) {
            // The ring overwrote events this client has not been sent: it cannot keep up.
            out_ += "event: reset\ndata: {\"reason\":\"slow_consumer\"}\n\n";
            closing_ = true;
            hub_->count_dropped();
        }
        if (failed) closing_ = true;
        hub_->count_sent(events);
        if (out_.empty()) {
            if (closing_) close();
            return;
        }
        write_out();
    }

    void write_out() {
        writing_ = true;
        asio::async_write(socket_, asio::buffer(out_),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                              self->writing_ = false;
                              self->last_write_ = std::chrono::steady_clock::now();
                              if (ec || self->closing_) return self->close();
                              self->pump();
                          });
    }

    // The client sends nothing after its request; a read completes only when it goes away.
    void read_peer() {
        socket_.async_read_some(asio::buffer(in_), [self = shared_from_this()](
                                                       boost::system::error_code ec, std::size_t) {
            if (ec) return self->close();
            self->read_peer();
        });
    }

    void arm_keep_alive() {
        timer_.expires_after(keep_alive_interval);
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec || self->closed_) return;
            const auto now = std::chrono::steady_clock::now();
            if (!self->writing_ && now - self->last_write_ >= keep_alive_interval) {
                self->out_ = ": keep-alive\n\n";
                self->write_out();
            }
            self->arm_keep_alive();
        });
    }

    void close() {
        if (closed_) return;
        closed_ = true;
        channel_->closed.store(true, std::memory_order_relaxed);
        timer_.cancel();
        boost::system::error_code ec;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
        socket_.close(ec);
    }

    client_socket socket_;
    std::shared_ptr<event_hub> hub_;
    std::shared_ptr<event_channel> channel_;
    asio::steady_timer timer_;
    asio::io_context& ioc_;
    std::string out_;
    std::array<char, 256> in_{};
    std::uint64_t cursor_ = 0;
    std::uint64_t skip_through_lsn_ = 0;
    bool cursor_set_ = false;
    bool writing_ = false;
    bool closing_ = false;
    bool closed_ = false;
    std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
};

// Last-Event-ID (header) or ?last_event_id=: a decimal LSN. nullopt: absent. False: malformed.
bool parse_last_id(const http_request& req, std::optional<std::uint64_t>& out) {
    std::string_view text = req["Last-Event-ID"];
    if (text.empty()) {
        const std::string_view target = req.target();
        constexpr std::string_view key = "last_event_id=";
        const std::size_t q = target.find('?');
        if (q == std::string_view::npos) return true;
        std::string_view query = target.substr(q + 1);
        while (!query.empty()) {
            const std::size_t amp = query.find('&');
            const std::string_view pair = query.substr(0, amp);
            if (pair.starts_with(key)) text = pair.substr(key.size());
            if (amp == std::string_view::npos) break;
            query.remove_prefix(amp + 1);
        }
        if (text.empty()) return true;
    }
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size() || v >= (std::uint64_t{1} << 62)) {
        return false;
    }
    out = v;
    return true;
}

}  // namespace

void handle_events(const std::shared_ptr<session>& s, const http_request& req) {
    server& srv = s->owner().owner;
    if (srv.events() == nullptr) {
        return s->send(problem_response(*s, gateway_problem("not_ready"),
                                        {.detail = "the event feed is not running"}));
    }
    std::optional<std::uint64_t> last_id;
    if (!parse_last_id(req, last_id)) {
        return s->send(problem_response(
            *s, gateway_problem("bad_request"),
            {.detail = "Last-Event-ID must be an event id (a decimal number) from this stream"}));
    }
    const std::shared_ptr<event_hub>& hub = srv.events()->hub();
    if (!hub->try_join()) {
        return s->send(problem_response(*s, problem_for(matching::outcome::overloaded),
                                        {.detail = "too many event subscribers"}));
    }
    std::string head =
        "HTTP/1.1 200 OK\r\nServer: flashgate\r\nContent-Type: text/event-stream\r\n"
        "Cache-Control: no-store\r\nConnection: close\r\nX-Request-Id: ";
    head += s->request_id();
    head += "\r\n\r\n";
    s->owner().http.record(route::events, 200, 0);
    auto sub = std::make_shared<event_subscriber>(s->owner(), s->release_socket(), hub);
    sub->start(std::move(head), last_id);
}

}  // namespace fg::gateway
