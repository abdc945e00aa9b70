#pragma once

// A small blocking HTTP/1.1 client over loopback for the integration tests: keep-alive, exact
// bytes when a test needs to send something malformed, and a receive timeout so that a test
// can fail but never hang.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace fg::testing {

struct http_reply {
    int status = 0;  // 0: the connection closed or timed out before a full response
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;

    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
    nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

using header_list = std::vector<std::pair<std::string, std::string>>;

class http_client {
 public:
    explicit http_client(unsigned short port);
    // Connects from `source` (another loopback address, e.g. "127.0.5.1"), so that tests of
    // the per-IP and location rules can speak from several addresses.
    http_client(unsigned short port, std::string source);
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    http_reply request(const std::string& method, const std::string& target,
                       const std::string& body = {}, const header_list& headers = {});
    // Sends `bytes` as they are and reads one response.
    http_reply raw(const std::string& bytes);

    http_reply get(const std::string& target, const header_list& headers = {}) {
        return request("GET", target, {}, headers);
    }

 private:
    void connect();
    void close();
    http_reply read_reply();

    unsigned short port_;
    std::string source_;
    int fd_ = -1;
    std::string buffer_;
};

}  // namespace fg::testing
