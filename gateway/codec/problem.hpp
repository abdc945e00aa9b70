#pragma once

// RFC 9457 problem details: the one error shape of every refusal the gateway sends.

#include <cstdint>
#include <string>
#include <string_view>

#include "matching/outcome.hpp"

namespace fg::gateway {

struct decode_error;

// Immutable: views into a static table (problem.cpp) that holds every code and title, so a
// second language is one more column there.
struct problem {
    std::uint16_t status;
    std::string_view code;
    std::string_view title;
};

// THE mapping of domain outcomes to HTTP (STYLE: errors, tier 2). code == to_string(o).
// outcome::ok is not a problem: a caller that maps it has a bug and gets 500 internal_error.
problem problem_for(matching::outcome o);

// Gateway-level problems by code: malformed_json, invalid_request, missing_idempotency_key,
// invalid_idempotency_key, unauthorized, not_found, method_not_allowed, unsupported_media_type,
// body_too_large, headers_too_large, not_ready, bad_request, internal_error. An unknown code is
// a bug in the caller and yields internal_error (500).
problem gateway_problem(std::string_view code);

// malformed_json (400) or invalid_request (422), as the decoder classified it.
problem problem_for(const decode_error& e);

struct problem_fields {
    std::string_view detail;
    std::string_view pointer;
    std::string_view request_id;
    std::string_view sku_id;
    std::string_view reason;
};

// Appends {"type":"/problems/<code>","title","status","code","detail","request_id"} and then
// "pointer", "reason" and "sku_id" when non-empty. The caller sets Content-Type to
// application/problem+json.
void write_problem(std::string& out, std::uint16_t status, std::string_view code,
                   std::string_view title, const problem_fields& fields);
void write_problem(std::string& out, const problem& p, const problem_fields& fields);

}  // namespace fg::gateway
