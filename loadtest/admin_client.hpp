#pragma once

// A blocking keep-alive HTTP client (Beast) for the cold path: creating SKUs before the run and
// reading them back for the audit. Not used for the load itself.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>

#include "loadtest/http_target.hpp"

namespace fg::loadtest {

struct http_reply {
    unsigned status = 0;  // 0: transport error, see error
    std::string body;
    std::string error;
};

// Single-owner: used by the main thread before and after the load.
class admin_client {
 public:
    admin_client(http_target target, std::string bearer_token);
    // One request; reconnects once if the kept-alive connection went away.
    http_reply request(const std::string& method, const std::string& path, const std::string& body);

 private:
    http_reply attempt(const std::string& method, const std::string& path, const std::string& body);

    http_target target_;
    std::string token_;
    boost::asio::io_context io_;
    boost::asio::ip::tcp::socket socket_;
};

}  // namespace fg::loadtest
