#pragma once

// The payment service's callback signature: header `Flashgate-Signature: t=<unix s>,v1=<hex>`
// where v1 is HMAC-SHA256(secret, "<t>.<raw body>") in hex. The timestamp bounds replays to a
// window; several v1 entries are accepted so that the secret can be rotated without downtime.
//
// Thread-safe: pure functions (OpenSSL's MAC objects are created per call).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace fg::gateway {

// In precedence order: the first thing wrong with a request is what is reported.
enum class signature_check : std::uint8_t {
    ok,
    missing,    // no header (empty or only whitespace)
    malformed,  // over 1 KiB, a pair without '=', a bad t, a v1 that is not 64 hex, no t or v1
    stale,      // |now - t| beyond the window
    mismatch,   // no v1 entry is the MAC of this body under this secret (or the secret is empty)
};

inline constexpr std::size_t payment_signature_header_max = 1024;
inline constexpr std::int64_t payment_signature_window_s = 300;

// `header` is the raw Flashgate-Signature value (empty when the request has none). Parsing:
// comma-separated key=value pairs in any order, spaces and tabs around keys and values
// tolerated, empty pairs skipped, unknown keys ignored, exactly one `t` (decimal digits, at most
// 18), any number of `v1` (64 hex digits, either case; ok if any matches). The MAC covers the
// `t` digits exactly as sent. The compare is constant-time over the raw 32-byte MACs. An empty
// secret never verifies, so a gateway started without one refuses every callback.
[[nodiscard]] signature_check verify_payment_signature(
    std::string_view header, std::string_view raw_body, std::string_view secret, std::int64_t now_s,
    std::int64_t window_s = payment_signature_window_s);

// "t=<t>,v1=<lowercase hex>" for a body: used by tests and by the load generator.
std::string sign_payment(std::string_view raw_body, std::string_view secret, std::int64_t t);

std::string_view to_string(signature_check check);

using hmac_sha256_digest = std::array<unsigned char, 32>;

// HMAC-SHA256 of `data` under `key` (exposed for the RFC 4231 vectors in the tests).
hmac_sha256_digest hmac_sha256(std::string_view key, std::string_view data);

}  // namespace fg::gateway
