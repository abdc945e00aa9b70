#pragma once

// The order state machine as a table: which moves are legal, for whom, and what each does to the
// stock. Pure: the live path (shard.cpp) and replay (engine.cpp) both ask it, so a move the log
// holds is applied exactly as it was decided. matching/README.md ("Order lifecycle") draws it.

#include <cstdint>

#include "matching/order.hpp"

namespace fg::matching {

// What a move does to the units of each of the order's lines, at the SKU's owner shard.
enum class stock_effect : std::uint8_t {
    none,
    sell,     // held -> sold (paid while holding)
    release,  // held -> available (cancelled, expired, rejected)
    retake,   // available -> sold (paid after the hold had lapsed and the units were still free)
    unsell,   // sold -> available (refunded with restock, a paid order cancelled by the merchant)
    forget,   // sold stays sold, but no longer counts toward the buyer's limit (refunded, kept)
};

struct move_rule {
    bool legal = false;
    stock_effect effect = stock_effect::none;
};

// `restock` matters only for refunded; `retook` only for paid after expired/cancelled.
move_rule rule_for(order_status from, order_status to, actor by, bool restock);

// Whether the order's stock is held (pending_payment, risk_review) and so may expire or be
// released, and whether it is sold to the buyer.
bool holds_stock(order_status s);

// Whether a payment has ever been applied to the order (its history has a paid step).
bool was_paid(const order& o);

}  // namespace fg::matching
