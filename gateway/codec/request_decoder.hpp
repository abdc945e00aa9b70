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
#include "matching/order.hpp"
#include "matching/sku.hpp"

namespace fg::gateway {

namespace detail {
class decoder_state;
}

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

 private:
    std::unique_ptr<detail::decoder_state> state_;
};

// 1..64 characters of [A-Za-z0-9._~-] (URL-safe without escaping: it appears in paths).
bool valid_sku_id(std::string_view text);
// 1..128 characters of visible ASCII (0x21..0x7E).
bool valid_idempotency_key(std::string_view text);

}  // namespace fg::gateway
