#pragma once

// A minimal HTTP/1.1 response framer for keep-alive answers with Content-Length (what the gateway
// and nginx send). It finds the status, the framing headers and the body, and nothing more:
// Beast's full parser costs several times as much per response and the client must stay cheaper
// than the servers it measures.

#include <cstddef>
#include <string_view>

namespace fg::loadtest {

struct response_view {
    enum class state { incomplete, complete, malformed };
    state result = state::incomplete;
    unsigned status = 0;
    bool connection_close = false;
    std::size_t size = 0;  // bytes of this response (head + body) when complete
    std::string_view body;
};

// Parses the first response in `data`.
response_view parse_response(std::string_view data);

// The string value of the first `"name":"value"` member in a compact JSON body (what the gateway
// writes), or empty. A scan, not a JSON parse: only for fields whose values need no unescaping.
std::string_view find_json_string(std::string_view body, std::string_view quoted_name_colon_quote);

}  // namespace fg::loadtest
