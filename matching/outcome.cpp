#include "matching/outcome.hpp"

#include "matching/order.hpp"

namespace fg::matching {

std::string_view to_string(outcome o) {
    switch (o) {
        case outcome::ok:
            return "ok";
        case outcome::unknown_sku:
            return "unknown_sku";
        case outcome::delisted:
            return "delisted";
        case outcome::sale_not_open:
            return "sale_not_open";
        case outcome::sale_closed:
            return "sale_closed";
        case outcome::mixed_currency:
            return "mixed_currency";
        case outcome::per_buyer_limit:
            return "per_buyer_limit";
        case outcome::sold_out:
            return "sold_out";
        case outcome::incomplete_sku:
            return "incomplete_sku";
        case outcome::stock_too_large:
            return "stock_too_large";
        case outcome::stock_below_committed:
            return "stock_below_committed";
        case outcome::stock_insufficient:
            return "stock_insufficient";
        case outcome::order_not_found:
            return "order_not_found";
        case outcome::illegal_transition:
            return "illegal_transition";
        case outcome::request_in_progress:
            return "request_in_progress";
        case outcome::overloaded:
            return "overloaded";
        case outcome::disk_full:
            return "disk_full";
        case outcome::log_failed:
            return "log_failed";
    }
    return "unknown";
}

std::string_view to_string(order_status s) {
    switch (s) {
        case order_status::pending_payment:
            return "pending_payment";
        case order_status::cancelled:
            return "cancelled";
    }
    return "unknown";
}

}  // namespace fg::matching
