#pragma once

// Strict decoding of the API's request bodies (simdjson On-Demand) into domain values. Every
// violation is a decode_error naming the member at fault; nothing throws, and any bytes at all
// (invalid UTF-8, NULs, 10,000 nested brackets) are answered, never crashed on.
//
// Reasons (decode_error::reason): malformed_json, trailing_content, empty (400 for an empty
// body; 422 for an empty string or array), not_an_object, unknown_field, duplicate_key,
// wrong_type, out_of_range, too_long, too_many_items, too_deep, missing_field, invalid_value,
// duplicate_sku, unknown_currency, invalid_time.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/codec/decode_error.hpp"
#include "matching/event_codec.hpp"
#include "matching/money.hpp"
#include "matching/order.hpp"
#include "matching/sku.hpp"

namespace fg::gateway {

namespace detail {
class decoder_state;
}

// A decoded POST /v1/payments/callback body. The signature is the handler's to check.
struct payment_body {
    std::string order_id;         // 1..17 visible ASCII, unparsed: the handler parses "o"+16 hex
    std::string provider_txn_id;  // 1..limits::provider_txn_id_chars_max visible ASCII
    bool succeeded = false;       // "status": "succeeded" | "failed"
    matching::money amount;       // {"amount_minor": int, "currency": "CNY"}, as a price
};

// A decoded POST /v1/orders/{id}/{action} body; absent members stay empty.
struct move_body {
    std::string carrier;          // 1..limits::carrier_chars_max bytes of text
    std::string tracking_no;      // 1..limits::tracking_no_chars_max visible ASCII
    std::string reason;           // 0..limits::reason_chars_max bytes of text
    std::optional<bool> restock;  // absent: the handler's default
};

// Bits naming move_body's members, for decode_move's `allowed` and `required` sets:
// e.g. move_field::carrier | move_field::tracking_no.
namespace move_field {
enum : unsigned {
    carrier = 1u << 0,
    tracking_no = 1u << 1,
    reason = 1u << 2,
    restock = 1u << 3,
};
}  // namespace move_field

// Shard-local: one per shard thread; reuses its simdjson parser and a padded copy buffer, so
// decoding allocates nothing after warm-up except the output strings. On failure `out` holds
// whatever was decoded before the fault: callers must not use it.
class request_decoder {
 public:
    // Containers nested deeper than this (the bodies need 4) are refused as too_deep.
    static constexpr std::size_t nesting_depth_max = 8;
    // Refused as too_long at "" without parsing; the HTTP layer's own body limit (413) should be
    // lower. A 1,000-SKU batch with 200-byte names is well under 1 MiB.
    static constexpr std::size_t body_bytes_max = 4 * 1024 * 1024;

    request_decoder();
    ~request_decoder();
    request_decoder(request_decoder&&) noexcept;
    request_decoder& operator=(request_decoder&&) noexcept;

    // POST /v1/orders.
    std::optional<decode_error> decode_order(std::string_view body, matching::order_request& out);
    // PUT /v1/skus/{id}: every member optional; `out` is reset first.
    std::optional<decode_error> decode_sku_spec(std::string_view body, matching::sku_spec& out);
    // {"skus": [{"sku_id": "...", <sku_spec members>}, ...]}: 1..limits::batch_skus_max entries
    // with distinct sku_ids; `out` is cleared first.
    std::optional<decode_error> decode_sku_batch(
        std::string_view body, std::vector<std::pair<std::string, matching::sku_spec>>& out);
    // {"delta": int}: non-zero, |delta| <= limits::stock_delta_max.
    std::optional<decode_error> decode_stock_delta(std::string_view body, std::int64_t& delta);
    // POST /v1/payments/callback: {"order_id","provider_txn_id","status","amount"}, all
    // required; "status" other than "succeeded" or "failed" is invalid_value.
    std::optional<decode_error> decode_payment(std::string_view body, payment_body& out);
    // POST /v1/orders/{id}/{action}. Members outside `allowed` (move_field bits) are
    // unknown_field; those in `required` must be present (and are allowed). An empty body reads
    // as {} (then only `required` can refuse it). `out` is reset first.
    std::optional<decode_error> decode_move(std::string_view body, unsigned allowed,
                                            unsigned required, move_body& out);
    // POST /v1/blocklist: exactly one of "buyer_id" (as in an order) or "ip" (1..
    // limits::blocked_value_chars_max of [0-9A-Fa-f.:/], for the handler to parse as a network),
    // and "blocked": bool. Neither subject is missing_field at "", both is invalid_value at the
    // second. `out` is reset first; at_ms stays 0 for the handler to set.
    std::optional<decode_error> decode_block_change(std::string_view body,
                                                    matching::block_changed& out);

 private:
    std::unique_ptr<detail::decoder_state> state_;
};

// 1..64 characters of [A-Za-z0-9._~-] (URL-safe without escaping: it appears in paths).
bool valid_sku_id(std::string_view text);
// 1..128 characters of visible ASCII (0x21..0x7E).
bool valid_idempotency_key(std::string_view text);

}  // namespace fg::gateway
