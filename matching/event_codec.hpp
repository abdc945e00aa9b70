#pragma once

// The payloads of the log records the domain writes: one record per state change. Storage
// frames and checksums them; this file owns what is inside (byte layout in storage/FORMAT.md,
// "Payloads"). Little-endian, length-prefixed strings, a version byte first in each payload.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "matching/limits.hpp"
#include "matching/order.hpp"
#include "matching/outcome.hpp"
#include "matching/sku.hpp"

namespace fg::matching {

enum class record_type : std::uint16_t {
    sku_upserted = 1,     // the SKU's full merchant-set state (not held/sold)
    stock_adjusted = 2,   // stock += delta
    order_placed = 3,     // a whole order, all items, holds taken
    order_cancelled = 4,  // holds released (written by earlier versions; now order_moved)
    order_moved = 5,      // one transition of the order state machine
    block_changed = 6,    // a buyer or an IP network put on or taken off the block list
    key_refused = 7,      // an Idempotency-Key's stored refusal (not for cheap refusals)
};

struct stock_adjusted {
    std::string sku_id;
    std::int64_t delta = 0;
    std::int64_t at_ms = 0;
};

struct order_cancelled {
    std::uint64_t order_id = 0;
    std::int64_t at_ms = 0;
};

struct key_refused {
    std::string client;
    std::string idempotency_key;
    body_digest digest{};
    outcome refusal = outcome::ok;
    std::string refused_sku;
    std::string request_id;
    std::int64_t at_ms = 0;
};

struct order_moved {
    std::uint64_t order_id = 0;
    transition step;
};

enum class block_kind : std::uint8_t { buyer = 0, network = 1 };

struct block_changed {
    block_kind kind = block_kind::buyer;
    std::string value;  // a buyer id, or an IP network ("10.0.0.0/8", a bare address)
    bool blocked = true;
    std::int64_t at_ms = 0;
};

// An order_placed payload read in place: the strings point into the payload's bytes, so
// replay can route and count an order without building it. Checked exactly as decode(order).
struct order_placed_view {
    struct line {
        std::string_view sku_id;
        std::int64_t qty = 0;
        std::int64_t unit_price_minor = 0;
    };
    std::uint64_t id = 0;
    std::string_view idempotency_key;
    std::string_view buyer_id;
    std::string_view payment_method;
    std::string_view contact_name;
    std::string_view contact_phone;
    std::string_view contact_address;
    std::int64_t created_at_ms = 0;
    std::int64_t hold_expires_at_ms = 0;
    money total;
    std::size_t item_count = 0;
    std::array<line, limits::order_items_max> items;
    std::string_view client;
    body_digest digest{};
    std::string_view client_ip;
    order_status status = order_status::pending_payment;  // as placed
    std::string_view reason;                              // of the placement (a risk rule)

    std::span<const line> lines() const { return {items.data(), item_count}; }
};

// Encoders append to `out` (cleared first) so a shard can reuse one buffer.
void encode(const sku_state& s, std::vector<std::byte>& out);
void encode(const stock_adjusted& e, std::vector<std::byte>& out);
void encode(const order& o, std::vector<std::byte>& out);
void encode(const order_cancelled& e, std::vector<std::byte>& out);
void encode(const order_moved& e, std::vector<std::byte>& out);
void encode(const block_changed& e, std::vector<std::byte>& out);
void encode(const key_refused& e, std::vector<std::byte>& out);

// Decoders refuse (return false) a payload that is short, long, or out of bounds: with a valid
// CRC that means a format mismatch, and start-up must stop rather than guess.
bool decode(std::span<const std::byte> in, sku_state& out);
bool decode(std::span<const std::byte> in, stock_adjusted& out);
bool decode(std::span<const std::byte> in, order& out);
bool decode(std::span<const std::byte> in, order_placed_view& out);
// The id of an order_placed payload that decodes (it follows the version byte): what the
// order store reads without decoding the rest.
std::uint64_t order_placed_id(std::span<const std::byte> placed);
// Its hold_expires_at_ms, past the id and the six strings, without decoding the rest.
std::int64_t order_placed_hold_expires_at(std::span<const std::byte> placed);
bool decode(std::span<const std::byte> in, order_cancelled& out);
bool decode(std::span<const std::byte> in, order_moved& out);
bool decode(std::span<const std::byte> in, block_changed& out);
bool decode(std::span<const std::byte> in, key_refused& out);

}  // namespace fg::matching
