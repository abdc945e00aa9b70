#include "matching/inventory.hpp"

#include <array>

#include "matching/assert.hpp"
#include "matching/limits.hpp"

namespace fg::matching {

const sku_state* inventory::find(std::string_view sku_id) const {
    auto it = skus_.find(sku_id);
    return it == skus_.end() ? nullptr : &it->second.state;
}

inventory::entry& inventory::must_find(std::string_view sku_id, const char* invariant) {
    auto it = skus_.find(sku_id);
    FG_ASSERT(it != skus_.end(), invariant);
    return it->second;
}

outcome inventory::plan_upsert(std::string_view sku_id, const sku_spec& spec, std::int64_t now_ms,
                               sku_state& next) const {
    const sku_state* current = find(sku_id);
    if (current == nullptr) {
        if (!spec.name || !spec.price || !spec.stock) return outcome::incomplete_sku;
        next = sku_state{};
        next.id = std::string(sku_id);
    } else {
        next = *current;
    }
    if (spec.name) next.name = *spec.name;
    if (spec.price) next.price = *spec.price;
    if (spec.stock) {
        if (*spec.stock < next.held + next.sold) return outcome::stock_below_committed;
        next.stock = *spec.stock;
    }
    if (spec.per_buyer_limit) next.per_buyer_limit = *spec.per_buyer_limit;
    if (spec.sale) next.sale = *spec.sale;
    if (spec.low_stock_threshold) next.low_stock_threshold = *spec.low_stock_threshold;
    if (spec.status) next.status = *spec.status;
    next.updated_at_ms = now_ms;
    return outcome::ok;
}

void inventory::apply_upsert(const sku_state& next) {
    auto [it, created] = skus_.try_emplace(next.id);
    sku_state& s = it->second.state;
    const std::int64_t held = created ? 0 : s.held;
    const std::int64_t sold = created ? 0 : s.sold;
    s = next;
    s.held = held;
    s.sold = sold;
}

outcome inventory::plan_adjust(std::string_view sku_id, std::int64_t delta) const {
    const sku_state* s = find(sku_id);
    if (s == nullptr) return outcome::unknown_sku;
    if (delta < 0 && -delta > s->available()) return outcome::stock_insufficient;
    if (delta > 0 && s->stock + delta > limits::stock_max) return outcome::stock_too_large;
    return outcome::ok;
}

void inventory::apply_adjust(std::string_view sku_id, std::int64_t delta, std::int64_t at_ms) {
    sku_state& s = must_find(sku_id, "M6 (a stock record names a known SKU)").state;
    s.stock += delta;
    s.updated_at_ms = at_ms;
}

outcome inventory::check_line(const entry& e, std::string_view buyer_id, std::int64_t qty,
                              std::int64_t now_ms) const {
    const sku_state& s = e.state;
    if (s.status == sku_status::delisted) return outcome::delisted;
    if (s.sale.starts_at_ms != 0 && now_ms < s.sale.starts_at_ms) return outcome::sale_not_open;
    if (s.sale.ends_at_ms != 0 && now_ms >= s.sale.ends_at_ms) return outcome::sale_closed;
    if (s.per_buyer_limit > 0) {
        auto it = e.bought_by_buyer.find(buyer_id);
        std::int64_t already = it == e.bought_by_buyer.end() ? 0 : it->second;
        if (already + qty > s.per_buyer_limit) return outcome::per_buyer_limit;
    }
    if (s.available() < qty) return outcome::sold_out;
    return outcome::ok;
}

reservation inventory::reserve(std::string_view buyer_id, std::span<const stock_line> lines,
                               std::int64_t now_ms) {
    FG_ASSERT(lines.size() <= limits::order_items_max,
              "M5 (an order has at most order_items_max lines)");
    // One lookup per line: the entries found while checking are the ones priced and held.
    std::array<entry*, limits::order_items_max> found{};
    reservation r;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const stock_line& line = lines[i];
        auto it = skus_.find(line.sku_id);
        found[i] = it == skus_.end() ? nullptr : &it->second;
        outcome o = found[i] == nullptr ? outcome::unknown_sku
                                        : check_line(*found[i], buyer_id, line.qty, now_ms);
        if (o != outcome::ok && (r.result == outcome::ok || o < r.result)) {
            r.result = o;
            r.refused_sku = std::string(line.sku_id);
        }
    }
    if (r.result != outcome::ok) return r;
    r.unit_prices.reserve(lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
        r.unit_prices.push_back(found[i]->state.price);
        take(*found[i], buyer_id, lines[i].qty);
    }
    return r;
}

void inventory::take(entry& e, std::string_view buyer_id, std::int64_t qty) {
    e.state.held += qty;
    count_buyer(e, buyer_id, qty);
}

bool inventory::hold_line(std::string_view buyer_id, const stock_line& line) {
    auto it = skus_.find(line.sku_id);
    if (it == skus_.end()) return false;
    take(it->second, buyer_id, line.qty);
    return true;
}

void inventory::release(std::string_view buyer_id, std::span<const stock_line> lines) {
    for (const stock_line& line : lines) {
        entry& e = must_find(line.sku_id, "M6 (a release names a known SKU)");
        FG_ASSERT(e.state.held >= line.qty, "M2 (held never goes negative)");
        e.state.held -= line.qty;
        auto it = e.bought_by_buyer.find(buyer_id);
        FG_ASSERT(it != e.bought_by_buyer.end() && it->second >= line.qty,
                  "M4 (per-buyer counts match holds)");
        it->second -= line.qty;
        if (it->second == 0) e.bought_by_buyer.erase(it);
    }
}

void inventory::apply_effect(stock_effect effect, std::string_view buyer_id,
                             std::span<const stock_line> lines) {
    if (effect == stock_effect::release) return release(buyer_id, lines);
    for (const stock_line& line : lines) {
        entry& e = must_find(line.sku_id, "M6 (an order move names a known SKU)");
        switch (effect) {
            case stock_effect::sell:
                FG_ASSERT(e.state.held >= line.qty, "M2 (held never goes negative)");
                e.state.held -= line.qty;
                e.state.sold += line.qty;
                break;
            case stock_effect::retake:
                e.state.sold += line.qty;
                count_buyer(e, buyer_id, line.qty);
                break;
            case stock_effect::unsell:
                FG_ASSERT(e.state.sold >= line.qty, "M2 (sold never goes negative)");
                e.state.sold -= line.qty;
                count_buyer(e, buyer_id, -line.qty);
                break;
            case stock_effect::forget:
                count_buyer(e, buyer_id, -line.qty);
                break;
            case stock_effect::none:
            case stock_effect::release:
                break;
        }
    }
}

bool inventory::try_retake(std::string_view buyer_id, std::span<const stock_line> lines) {
    for (const stock_line& line : lines) {
        const sku_state* s = find(line.sku_id);
        if (s == nullptr || s->available() < line.qty) return false;
    }
    apply_effect(stock_effect::retake, buyer_id, lines);
    return true;
}

void inventory::count_buyer(entry& e, std::string_view buyer_id, std::int64_t delta) {
    auto it = e.bought_by_buyer.find(buyer_id);
    if (it == e.bought_by_buyer.end()) {
        if (delta <= 0) return;  // M4: only counts this buyer's live and paid units
        it = e.bought_by_buyer.emplace(std::string(buyer_id), 0).first;
    }
    it->second += delta;
    if (it->second <= 0) e.bought_by_buyer.erase(it);
}

bool inventory::check(std::string& error) const {
    for (const auto& [id, e] : skus_) {
        const sku_state& s = e.state;
        if (s.held < 0 || s.sold < 0 || s.available() < 0) {
            error = "SKU " + id + " breaks M1/M2: stock=" + std::to_string(s.stock) +
                    " held=" + std::to_string(s.held) + " sold=" + std::to_string(s.sold);
            return false;
        }
    }
    return true;
}

}  // namespace fg::matching
