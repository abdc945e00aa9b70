#pragma once

// Expected outcomes of domain operations (STYLE: errors, tier 2). Listed in precedence order:
// when an order's items are refused for different reasons, the one listed first is reported.
// Mapped to HTTP in exactly one place: gateway/problem.cpp.

#include <cstdint>
#include <string_view>

namespace fg::matching {

enum class [[nodiscard]] outcome : std::uint8_t{
    ok = 0,
    // Refusals of an order, most specific first.
    unknown_sku,
    delisted,
    sale_not_open,
    sale_closed,
    mixed_currency,
    per_buyer_limit,
    sold_out,
    // Refusals by the flash-sale rules (checked before any stock is touched).
    blocked,        // the buyer or the address is on the block list
    rate_limited,   // a per-buyer or per-IP token bucket is empty
    risk_rejected,  // a velocity or new-location rule set to reject
    // Refusals of merchant operations.
    incomplete_sku,         // creating a SKU without name, price or stock
    stock_too_large,        // a positive delta past limits::stock_max
    stock_below_committed,  // new total below held + sold
    stock_insufficient,     // a negative delta larger than available
    // Order lookups and moves.
    order_not_found,
    illegal_transition,
    request_in_progress,   // same Idempotency-Key while the first request is still running
    idempotency_mismatch,  // same Idempotency-Key with a different body
    amount_mismatch,       // a payment whose amount is not the order's total
    // Capacity and health.
    overloaded,
    disk_full,  // the log's disk is full: refused before anything was reserved or written
    log_failed,
};

std::string_view to_string(outcome o);

// Refusals an Idempotency-Key keeps and replays: the engine's decisions about the order, not
// the transient ones (rate limited, overloaded, disk full, log failed) that a retry may pass.
bool refusal_is_kept(outcome o);
// Kept refusals that are logged too (a key_refused record), so that they survive a crash.
bool refusal_is_logged(outcome o);

}  // namespace fg::matching
