#pragma once

// Why a request body was refused, precisely enough for a client to fix it: the HTTP status, the
// problem code, a machine sub-code and the JSON pointer of the offending member.

#include <cstdint>
#include <string>
#include <string_view>

namespace fg::gateway {

// Value type. `code` and `reason` view static literals; `pointer` and `detail` are built only
// when a body is refused (the cold path).
struct decode_error {
    std::uint16_t status;     // 400 for malformed JSON (code "malformed_json"), else 422
    std::string_view code;    // "malformed_json" | "invalid_request"
    std::string_view reason;  // machine sub-code, e.g. "duplicate_key" (see request_decoder.hpp)
    std::string pointer;      // RFC 6901 pointer of the offending member, "" = the whole body
    std::string detail;       // one English sentence, e.g. "items[3].qty must be an integer ..."
};

}  // namespace fg::gateway
