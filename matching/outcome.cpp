#include "matching/outcome.hpp"

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
        case outcome::blocked:
            return "blocked";
        case outcome::rate_limited:
            return "rate_limited";
        case outcome::risk_rejected:
            return "risk_rejected";
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
        case outcome::idempotency_mismatch:
            return "idempotency_mismatch";
        case outcome::amount_mismatch:
            return "amount_mismatch";
        case outcome::overloaded:
            return "overloaded";
        case outcome::disk_full:
            return "disk_full";
        case outcome::log_failed:
            return "log_failed";
    }
    return "unknown";
}

// Refusals an Idempotency-Key keeps and replays: the engine's decisions about this order. Not
// the transient ones (rate limits, overload, a full disk), which a retry may well get past.
bool refusal_is_kept(outcome o) {
    switch (o) {
        case outcome::unknown_sku:
        case outcome::delisted:
        case outcome::sale_not_open:
        case outcome::sale_closed:
        case outcome::mixed_currency:
        case outcome::per_buyer_limit:
        case outcome::sold_out:
        case outcome::blocked:
        case outcome::risk_rejected:
            return true;
        default:
            return false;
    }
}

// Kept refusals that are also logged (a key_refused record), so that they survive a crash.
// The cheap ones of a flash sale (sold out, sale window, blocked) never touch the log: they
// are the flood, and a retry after a crash re-decides them the same way unless stock or the
// sale changed in between (matching/README.md, "Idempotency").
bool refusal_is_logged(outcome o) {
    switch (o) {
        case outcome::unknown_sku:
        case outcome::delisted:
        case outcome::mixed_currency:
        case outcome::per_buyer_limit:
        case outcome::risk_rejected:
            return true;
        default:
            return false;
    }
}

}  // namespace fg::matching
