#pragma once

// One client connection: Beast HTTP/1.1 with keep-alive, one request at a time. Reads the
// header first so that the body limit can depend on the route, then the body, then hands the
// request to the router; the response may come back later (after the log has synced).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "gateway/metrics.hpp"

namespace fg::gateway {

struct worker;

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
// Bound to the worker's io_context executor rather than any_io_executor: no type-erased
// executor copies per operation on the hot path.
using client_socket =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

// Shard-local: lives on its worker's thread; kept alive by the handlers that hold it.
class session : public std::enable_shared_from_this<session> {
 public:
    session(worker& w, client_socket socket);
    ~session();
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    void start();

    // Sends the response to the current request (exactly once per request).
    void send(http_response&& res);
    void set_route(route r) { route_ = r; }

    // Timeouts without a timer per operation: each phase sets a deadline, and the worker's
    // once-a-second sweep (server.cpp) closes the sessions whose deadline has passed.
    std::chrono::steady_clock::time_point deadline() const { return deadline_; }
    void expire();
    const std::string& request_id() const { return request_id_; }
    // Who the current request speaks for (router.cpp, authenticate): "admin", a storefront's
    // name, or "public".
    void set_client(std::string_view c) { client_ = c; }
    std::string_view client() const { return client_; }
    bool is_admin() const { return client_ == "admin"; }
    // The peer's address as text ("" if the socket could not say).
    const std::string& peer_ip() const { return peer_ip_; }
    worker& owner() { return worker_; }
    // Hands the connection to a handler that streams (GET /v1/events): the session stops
    // timing it out and sends nothing more; the caller owns the socket from here on.
    client_socket release_socket();

 private:
    void read_header();
    void on_header(boost::system::error_code ec);
    void on_body(boost::system::error_code ec);
    void refuse_unreadable(boost::system::error_code ec);
    void on_write(boost::system::error_code ec, bool close);

    worker& worker_;
    client_socket socket_;
    std::chrono::steady_clock::time_point deadline_;
    std::list<session*>::iterator registered_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    http_request request_;
    http_response response_;
    std::string request_id_;
    std::string client_;
    std::string peer_ip_;
    std::chrono::steady_clock::time_point started_;
    route route_ = route::not_found;
};

}  // namespace fg::gateway
