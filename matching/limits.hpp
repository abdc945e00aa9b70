#pragma once

// Bounds on every user-supplied value the domain accepts. The decoder enforces them before a
// request reaches a shard; the domain asserts them (M5). One table, so the OpenAPI document,
// the decoder and the record codec agree.

#include <cstddef>
#include <cstdint>

namespace fg::matching::limits {

inline constexpr std::size_t sku_id_chars_max = 64;
inline constexpr std::size_t buyer_id_chars_max = 64;
inline constexpr std::size_t idempotency_key_chars_max = 128;
inline constexpr std::size_t sku_name_chars_max = 200;  // bytes of UTF-8
inline constexpr std::size_t payment_method_chars_max = 32;
inline constexpr std::size_t contact_name_chars_max = 100;
inline constexpr std::size_t contact_phone_chars_max = 32;
inline constexpr std::size_t contact_address_chars_max = 500;
inline constexpr std::size_t client_chars_max = 64;     // a storefront credential's name
inline constexpr std::size_t client_ip_chars_max = 45;  // textual IPv6 with an IPv4 tail
inline constexpr std::size_t carrier_chars_max = 64;
inline constexpr std::size_t tracking_no_chars_max = 64;
inline constexpr std::size_t provider_txn_id_chars_max = 128;
inline constexpr std::size_t reason_chars_max = 200;
inline constexpr std::size_t blocked_value_chars_max = 64;  // a buyer id or an IP network
inline constexpr std::size_t order_history_max = 32;        // transitions one order may have
inline constexpr std::size_t request_id_chars_max = 64;     // X-Request-Id as the gateway keeps it

inline constexpr std::size_t order_items_max = 32;
inline constexpr std::int64_t item_qty_max = 10'000;
inline constexpr std::int64_t stock_max = 1'000'000'000;  // per SKU
inline constexpr std::int64_t stock_delta_max = stock_max;
inline constexpr std::int64_t price_minor_max = 1'000'000'000'000;  // 10^12 minor units
inline constexpr std::size_t batch_skus_max = 1'000;

}  // namespace fg::matching::limits
