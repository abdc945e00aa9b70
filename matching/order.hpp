#pragma once

// Orders: what a storefront asks for (order_request) and what flashgate keeps (order).

#include <cstdint>
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

enum class order_status : std::uint8_t {
    pending_payment = 0,
    cancelled = 1,
};

std::string_view to_string(order_status s);

struct order_item {
    std::string sku_id;
    std::int64_t qty = 0;
    money unit_price;
};

struct order {
    std::uint64_t id = 0;
    std::string idempotency_key;
    std::string buyer_id;
    std::vector<order_item> items;
    money total;
    std::string payment_method;
    contact buyer_contact;
    order_status status = order_status::pending_payment;
    std::int64_t created_at_ms = 0;
    std::int64_t hold_expires_at_ms = 0;
    std::int64_t updated_at_ms = 0;
};

}  // namespace fg::matching
