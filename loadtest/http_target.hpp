#pragma once

// The gateway's address from --url: http only, host and port, and an optional base path.

#include <optional>
#include <string>

namespace fg::loadtest {

struct http_target {
    std::string host = "127.0.0.1";
    std::string port = "8080";
    std::string host_header() const { return host + ":" + port; }
};

std::optional<http_target> parse_url(const std::string& url);

}  // namespace fg::loadtest
