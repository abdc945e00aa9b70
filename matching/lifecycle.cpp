#include "matching/lifecycle.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <string_view>

namespace fg::matching {

namespace {

constexpr std::array<std::string_view, order_status_max + 1> status_names = {
    "pending_payment", "cancelled",       "paid",        "shipped",
    "delivered",       "completed",       "expired",     "refund_requested",
    "refunded",        "refund_required", "risk_review",
};

template <class T>
bool one_of(T value, std::initializer_list<T> set) {
    return std::find(set.begin(), set.end(), value) != set.end();
}

}  // namespace

std::string_view to_string(order_status s) {
    const auto i = static_cast<std::size_t>(s);
    return i < status_names.size() ? status_names[i] : "unknown";
}

std::optional<order_status> parse_order_status(std::string_view s) {
    for (std::size_t i = 0; i < status_names.size(); ++i) {
        if (status_names[i] == s) return static_cast<order_status>(i);
    }
    return std::nullopt;
}

std::string_view to_string(actor a) {
    switch (a) {
        case actor::buyer:
            return "buyer";
        case actor::merchant:
            return "merchant";
        case actor::payment:
            return "payment";
        case actor::system:
            return "system";
    }
    return "unknown";
}

std::shared_ptr<const transition_text> text_of(transition_text text) {
    if (text.carrier.empty() && text.tracking_no.empty() && text.provider_txn_id.empty() &&
        text.reason.empty()) {
        return nullptr;
    }
    return std::make_shared<const transition_text>(std::move(text));
}

order order::as_placed() const {
    order o = *this;
    o.history.resize(std::min<std::size_t>(o.history.size(), 1));
    o.status = o.history.empty() ? order_status::pending_payment : o.history.front().to;
    o.updated_at_ms = o.created_at_ms;
    // A reviewed order's hold starts when it is approved; as placed it had none yet.
    if (o.status == order_status::risk_review) o.hold_expires_at_ms = 0;
    return o;
}

bool holds_stock(order_status s) {
    return s == order_status::pending_payment || s == order_status::risk_review;
}

bool was_paid(const order& o) {
    return std::any_of(o.history.begin(), o.history.end(),
                       [](const transition& t) { return t.to == order_status::paid; });
}

move_rule rule_for(order_status from, order_status to, actor by, bool restock) {
    using S = order_status;
    using A = actor;
    constexpr move_rule illegal{};
    switch (to) {
        case S::paid:
            if (by != A::payment) return illegal;
            if (from == S::pending_payment) return {true, stock_effect::sell};
            // A payment after the hold lapsed: re-take the units (the caller checked they are
            // free; otherwise it moves to refund_required instead).
            if (from == S::expired || from == S::cancelled) return {true, stock_effect::retake};
            return illegal;
        case S::refund_required:
            if (by == A::payment && (from == S::expired || from == S::cancelled)) {
                return {true, stock_effect::none};
            }
            return illegal;
        case S::cancelled:
            if (from == S::pending_payment && one_of(by, {A::buyer, A::merchant, A::payment})) {
                return {true, stock_effect::release};
            }
            if (from == S::risk_review && one_of(by, {A::buyer, A::merchant})) {
                return {true, stock_effect::release};
            }
            if (from == S::paid && by == A::merchant) return {true, stock_effect::unsell};
            return illegal;
        case S::expired:
            if (from == S::pending_payment && by == A::system) {
                return {true, stock_effect::release};
            }
            return illegal;
        case S::pending_payment:  // a merchant approves an order held for review
            if (from == S::risk_review && by == A::merchant) return {true, stock_effect::none};
            return illegal;
        case S::shipped:
            if (from == S::paid && by == A::merchant) return {true, stock_effect::none};
            return illegal;
        case S::delivered:
            if (from == S::shipped && by == A::merchant) return {true, stock_effect::none};
            return illegal;
        case S::completed:
            if (from == S::delivered && one_of(by, {A::buyer, A::merchant})) {
                return {true, stock_effect::none};
            }
            return illegal;
        case S::refund_requested:
            if (one_of(from, {S::paid, S::shipped, S::delivered, S::completed}) &&
                one_of(by, {A::buyer, A::merchant})) {
                return {true, stock_effect::none};
            }
            return illegal;
        case S::refunded:
            if (by != A::merchant) return illegal;
            if (from == S::refund_requested) {
                return {true, restock ? stock_effect::unsell : stock_effect::forget};
            }
            if (from == S::refund_required) return {true, stock_effect::none};
            return illegal;
        case S::risk_review:  // only ever an initial status
            return illegal;
    }
    return illegal;
}

}  // namespace fg::matching
