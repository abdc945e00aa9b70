#include "gateway/session.hpp"

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "gateway/codec/problem.hpp"
#include "gateway/router.hpp"
#include "gateway/server.hpp"

namespace fg::gateway {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// Bounds (ARCHITECTURE.md, bounds table).
constexpr std::size_t header_bytes_max = 8 * 1024;
constexpr std::size_t body_bytes_max = 64 * 1024;           // every route but the batch
constexpr std::size_t batch_body_bytes_max = 1024 * 1024;   // POST /v1/skus:batch
constexpr auto idle_timeout = std::chrono::seconds(30);     // waiting for a request to start
constexpr auto request_timeout = std::chrono::seconds(10);  // a started request must finish

}  // namespace

session::session(worker& w, client_socket socket)
    : worker_(w),
      socket_(std::move(socket)),
      deadline_(std::chrono::steady_clock::time_point::max()) {
    ++worker_.connections;
    registered_ = worker_.sessions.insert(worker_.sessions.end(), this);
    boost::system::error_code ec;
    const auto peer = socket_.remote_endpoint(ec);
    if (!ec) peer_ip_ = peer.address().to_string();
}

session::~session() {
    --worker_.connections;
    worker_.sessions.erase(registered_);
}

void session::expire() {
    // Pending reads and writes complete with operation_aborted; the last handler frees us.
    beast::error_code ec;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
}

void session::start() { read_header(); }

client_socket session::release_socket() {
    deadline_ = std::chrono::steady_clock::time_point::max();
    return std::move(socket_);
}

void session::read_header() {
    parser_.emplace();
    parser_->header_limit(header_bytes_max);
    // Beast checks Content-Length against the body limit while parsing the header, so the
    // header is read under the largest limit and the route's own is applied in on_header.
    parser_->body_limit(batch_body_bytes_max);
    deadline_ = std::chrono::steady_clock::now() + idle_timeout;
    http::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void session::on_header(beast::error_code ec) {
    if (ec) return refuse_unreadable(ec);
    if (!parser_->get().target().starts_with("/v1/skus:batch")) {
        if (parser_->content_length().value_or(0) > body_bytes_max) {
            return refuse_unreadable(boost::beast::http::error::body_limit);
        }
        parser_->body_limit(body_bytes_max);
    }
    deadline_ = std::chrono::steady_clock::now() + request_timeout;
    http::async_read(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec2, std::size_t) { self->on_body(ec2); });
}

void session::on_body(beast::error_code ec) {
    if (ec) return refuse_unreadable(ec);
    deadline_ = std::chrono::steady_clock::time_point::max();  // the shard is working
    started_ = std::chrono::steady_clock::now();
    request_ = parser_->release();
    request_id_ = make_request_id(worker_, request_);
    route_ = route::not_found;
    dispatch(shared_from_this(), request_);
}

// The request could not be read whole: answer what we can, then close (the stream's framing
// can no longer be trusted), or just close when the peer has gone.
void session::refuse_unreadable(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == boost::asio::error::operation_aborted ||
        ec == boost::asio::error::connection_reset || ec == boost::asio::error::eof ||
        ec == boost::asio::error::bad_descriptor) {
        socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
        return;
    }
    std::string_view code = "bad_request";
    if (ec == http::error::body_limit) code = "body_too_large";
    if (ec == http::error::header_limit) code = "headers_too_large";
    started_ = std::chrono::steady_clock::now();
    request_id_ = make_request_id(worker_, request_);
    route_ = route::not_found;
    http_response res = problem_response(*this, gateway_problem(code), problem_fields{});
    res.keep_alive(false);
    send(std::move(res));
}

void session::send(http_response&& res) {
    const auto elapsed = std::chrono::steady_clock::now() - started_;
    worker_.http.record(
        route_, res.result_int(),
        static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()));
    response_ = std::move(res);
    response_.set(http::field::server, "flashgate");
    response_.set("X-Request-Id", request_id_);
    if (response_.keep_alive()) response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    const bool close = !response_.keep_alive();
    deadline_ = std::chrono::steady_clock::now() + request_timeout;
    http::async_write(socket_, response_,
                      [self = shared_from_this(), close](beast::error_code ec, std::size_t) {
                          self->on_write(ec, close);
                      });
}

void session::on_write(beast::error_code ec, bool close) {
    if (ec) return;
    if (close) {
        socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
        return;
    }
    request_ = {};
    read_header();
}

}  // namespace fg::gateway
