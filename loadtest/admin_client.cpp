#include "loadtest/admin_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace fg::loadtest {

namespace http = boost::beast::http;

admin_client::admin_client(http_target target, std::string bearer_token)
    : target_(std::move(target)), token_(std::move(bearer_token)), socket_(io_) {}

http_reply admin_client::attempt(const std::string& method, const std::string& path,
                                 const std::string& body) {
    http_reply reply;
    boost::system::error_code ec;
    if (!socket_.is_open()) {
        boost::asio::ip::tcp::resolver resolver(io_);
        const auto endpoints = resolver.resolve(target_.host, target_.port, ec);
        if (!ec) boost::asio::connect(socket_, endpoints, ec);
        if (ec) {
            reply.error = "connect " + target_.host_header() + ": " + ec.message();
            socket_.close(ec);
            return reply;
        }
    }
    http::request<http::string_body> req(http::string_to_verb(method), path, 11);
    req.set(http::field::host, target_.host_header());
    if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(socket_, req, ec);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    if (!ec) http::read(socket_, buffer, res, ec);
    if (ec) {
        reply.error = method + " " + path + ": " + ec.message();
        socket_.close(ec);
        return reply;
    }
    reply.status = res.result_int();
    reply.body = std::move(res.body());
    if (!res.keep_alive()) socket_.close(ec);
    return reply;
}

http_reply admin_client::request(const std::string& method, const std::string& path,
                                 const std::string& body) {
    const bool reused = socket_.is_open();
    http_reply r = attempt(method, path, body);
    if (r.status == 0 && reused) r = attempt(method, path, body);
    return r;
}

}  // namespace fg::loadtest
