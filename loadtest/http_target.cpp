#include "loadtest/http_target.hpp"

namespace fg::loadtest {

std::optional<http_target> parse_url(const std::string& url) {
    const std::string scheme = "http://";
    if (!url.starts_with(scheme)) return std::nullopt;
    std::string rest = url.substr(scheme.size());
    if (const auto slash = rest.find('/'); slash != std::string::npos) {
        if (rest.substr(slash) != "/") return std::nullopt;  // paths go in --target-path
        rest.resize(slash);
    }
    http_target t;
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos) {
        t.host = rest;
        t.port = "80";
    } else {
        t.host = rest.substr(0, colon);
        t.port = rest.substr(colon + 1);
    }
    if (t.host.empty() || t.port.empty() ||
        t.port.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    return t;
}

}  // namespace fg::loadtest
