#pragma once

// Orders: what a storefront asks for (order_request) and what flashgate keeps (order).

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "matching/money.hpp"

namespace fg::matching {

struct contact {
    std::string name;
    std::string phone;
    std::string address;
};

struct order_item_request {
    std::string sku_id;
    std::int64_t qty = 0;
};

// A decoded, syntactically valid POST /v1/orders body.
struct order_request {
    std::string buyer_id;
    std::vector<order_item_request> items;  // 1..limits::order_items_max, distinct sku ids
    std::string payment_method;
    contact buyer_contact;
};

// The order state machine (matching/README.md, "Order lifecycle"). Values are stored in the log.
enum class order_status : std::uint8_t {
    pending_payment = 0,
    cancelled = 1,
    paid = 2,
    shipped = 3,
    delivered = 4,
    completed = 5,
    expired = 6,
    refund_requested = 7,
    refunded = 8,
    refund_required = 9,  // paid after its hold had lapsed and the stock was gone
    risk_review = 10,     // held by a risk rule until a merchant approves or rejects
};
inline constexpr std::uint8_t order_status_max = 10;

std::string_view to_string(order_status s);
std::optional<order_status> parse_order_status(std::string_view s);

// Who asked for a transition.
enum class actor : std::uint8_t { buyer = 0, merchant = 1, payment = 2, system = 3 };
std::string_view to_string(actor a);

// The free text of a step, which most steps lack: kept out of line (and shared by copies) so
// that a history of steps stays small.
struct transition_text {
    std::string carrier;          // shipped
    std::string tracking_no;      // shipped
    std::string provider_txn_id;  // paid, or cancelled by a failed payment
    std::string reason;           // the risk rule behind risk_review, a merchant's note
};

// Null when every field is empty.
std::shared_ptr<const transition_text> text_of(transition_text text);

// One step of an order's history; the first is its placement.
struct transition {
    order_status to = order_status::pending_payment;
    actor by = actor::buyer;
    std::int64_t at_ms = 0;
    std::shared_ptr<const transition_text> text;  // null: no text
    bool restock = false;                 // refunded: units went back on sale; paid: stock re-taken
    std::int64_t hold_expires_at_ms = 0;  // pending_payment after a review: the new hold

    std::string_view carrier() const { return text ? text->carrier : std::string_view(); }
    std::string_view tracking_no() const { return text ? text->tracking_no : std::string_view(); }
    std::string_view provider_txn_id() const {
        return text ? text->provider_txn_id : std::string_view();
    }
    std::string_view reason() const { return text ? text->reason : std::string_view(); }
};

// A request body's digest, so a reused Idempotency-Key can be checked against the first body.
using body_digest = std::array<std::uint8_t, 16>;

struct order_item {
    std::string sku_id;
    std::int64_t qty = 0;
    money unit_price;
};

struct order {
    std::uint64_t id = 0;
    std::string idempotency_key;
    std::string client;  // who sent it: the Idempotency-Key's scope
    body_digest digest{};
    std::string client_ip;  // the address it came from, for the risk rules after a restart
    std::string buyer_id;
    std::vector<order_item> items;
    money total;
    std::string payment_method;
    contact buyer_contact;
    order_status status = order_status::pending_payment;
    std::int64_t created_at_ms = 0;
    std::int64_t hold_expires_at_ms = 0;
    std::int64_t updated_at_ms = 0;
    std::vector<transition> history;  // placement first; one entry per logged transition

    // The order as its placement answered it: what a replayed Idempotency-Key returns.
    order as_placed() const;
};

}  // namespace fg::matching
