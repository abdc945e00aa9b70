#include "matching/inventory.hpp"

#include <algorithm>
#include <array>

#include "matching/assert.hpp"
#include "matching/limits.hpp"

namespace fg::matching {

const sku_state* inventory::find(std::string_view sku_id) const {
    const std::uint32_t ordinal = ordinal_of(sku_id);
    return ordinal == absent ? nullptr : &sku_at(ordinal);
}

std::uint32_t inventory::must_find(std::string_view sku_id, const char* invariant) const {
    const std::uint32_t ordinal = ordinal_of(sku_id);
    FG_ASSERT(ordinal != absent, invariant);
    return ordinal;
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
    const std::uint32_t ordinal = sku_ids_.intern(hashed_string(next.id));
    // Ordinals are dense, so a new SKU lands in the last chunk or opens the next one; a slot
    // not used before holds a default sku_state, whose held and sold are 0.
    if (ordinal / skus_per_chunk == sku_chunks_.size())
        sku_chunks_.push_back(std::make_unique<sku_state[]>(skus_per_chunk));
    sku_state& s = sku_at(ordinal);
    const std::int64_t held = s.held;
    const std::int64_t sold = s.sold;
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
    sku_state& s = sku_at(must_find(sku_id, "M6 (a stock record names a known SKU)"));
    s.stock += delta;
    s.updated_at_ms = at_ms;
}

outcome inventory::check_line(std::uint32_t ordinal, std::uint32_t buyer, std::int64_t qty,
                              std::int64_t now_ms) const {
    const sku_state& s = sku_at(ordinal);
    if (s.status == sku_status::delisted) return outcome::delisted;
    if (s.sale.starts_at_ms != 0 && now_ms < s.sale.starts_at_ms) return outcome::sale_not_open;
    if (s.sale.ends_at_ms != 0 && now_ms >= s.sale.ends_at_ms) return outcome::sale_closed;
    if (s.per_buyer_limit > 0) {
        // A buyer never seen has no count; a known one is told apart by its bytes (interner).
        const std::int64_t already = buyer == absent ? 0 : bought_.get(count_key(ordinal, buyer));
        if (already + qty > s.per_buyer_limit) return outcome::per_buyer_limit;
    }
    if (s.available() < qty) return outcome::sold_out;
    return outcome::ok;
}

reservation inventory::reserve(std::string_view buyer_id, std::span<const stock_line> lines,
                               std::int64_t now_ms) {
    FG_ASSERT(lines.size() <= limits::order_items_max,
              "M5 (an order has at most order_items_max lines)");
    const hashed_string buyer_key(buyer_id);
    std::uint32_t buyer = buyer_ids_.find(buyer_key);
    // One lookup per line: the SKUs found while checking are the ones priced and held.
    std::array<std::uint32_t, limits::order_items_max> found{};
    reservation r;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const stock_line& line = lines[i];
        found[i] = ordinal_of(line.sku_id);
        outcome o = found[i] == absent ? outcome::unknown_sku
                                       : check_line(found[i], buyer, line.qty, now_ms);
        if (o != outcome::ok && (r.result == outcome::ok || o < r.result)) {
            r.result = o;
            r.refused_sku = std::string(line.sku_id);
        }
    }
    if (r.result != outcome::ok) return r;
    if (buyer == absent) buyer = buyer_ids_.intern(buyer_key);
    r.unit_prices.reserve(lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
        r.unit_prices.push_back(sku_at(found[i]).price);
        sku_at(found[i]).held += lines[i].qty;
        count_buyer(found[i], buyer, lines[i].qty);
    }
    return r;
}

inventory::prepared_hold inventory::prepare_hold(std::string_view sku_id,
                                                 const hashed_string& buyer) {
    prepared_hold line;
    line.ordinal = ordinal_of(sku_id);
    if (line.ordinal == absent) return line;
    line.buyer = buyer_ids_.intern(buyer);
    bought_.prefetch(count_key(line.ordinal, line.buyer));
    return line;
}

bool inventory::hold_prepared(prepared_hold line, std::int64_t qty) {
    if (line.ordinal == absent) return false;
    sku_at(line.ordinal).held += qty;
    count_buyer(line.ordinal, line.buyer, qty);
    return true;
}

void inventory::release(std::string_view buyer_id, std::span<const stock_line> lines) {
    const std::uint32_t buyer = buyer_ids_.find(hashed_string(buyer_id));
    for (const stock_line& line : lines) {
        const std::uint32_t ordinal = must_find(line.sku_id, "M6 (a release names a known SKU)");
        sku_state& s = sku_at(ordinal);
        FG_ASSERT(s.held >= line.qty, "M2 (held never goes negative)");
        s.held -= line.qty;
        detail::count_table::count* count =
            buyer == absent ? nullptr : bought_.find(count_key(ordinal, buyer));
        FG_ASSERT(count != nullptr && *count > 0 && *count >= line.qty,
                  "M4 (per-buyer counts match holds)");
        *count = static_cast<detail::count_table::count>(*count - line.qty);
    }
}

void inventory::apply_effect(stock_effect effect, std::string_view buyer_id,
                             std::span<const stock_line> lines) {
    if (effect == stock_effect::release) return release(buyer_id, lines);
    const hashed_string buyer(buyer_id);
    for (const stock_line& line : lines) {
        const std::uint32_t ordinal =
            must_find(line.sku_id, "M6 (an order move names a known SKU)");
        sku_state& s = sku_at(ordinal);
        switch (effect) {
            case stock_effect::sell:
                FG_ASSERT(s.held >= line.qty, "M2 (held never goes negative)");
                s.held -= line.qty;
                s.sold += line.qty;
                break;
            case stock_effect::retake:
                s.sold += line.qty;
                count_buyer(ordinal, buyer, line.qty);
                break;
            case stock_effect::unsell:
                FG_ASSERT(s.sold >= line.qty, "M2 (sold never goes negative)");
                s.sold -= line.qty;
                count_buyer(ordinal, buyer, -line.qty);
                break;
            case stock_effect::forget:
                count_buyer(ordinal, buyer, -line.qty);
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

void inventory::count_buyer(std::uint32_t ordinal, std::uint32_t buyer, std::int64_t delta) {
    if (delta > 0) {
        bought_.add(count_key(ordinal, buyer), delta);
        return;
    }
    // M4: a count only ever holds this buyer's live and paid units, so a decrease of a count
    // that does not exist (or is 0) changes nothing, and a count never goes below 0.
    if (buyer == absent) return;
    detail::count_table::count* count = bought_.find(count_key(ordinal, buyer));
    if (count == nullptr || *count == 0) return;
    *count = static_cast<detail::count_table::count>(std::max<std::int64_t>(*count + delta, 0));
}

bool inventory::check(std::string& error) const {
    for (std::uint32_t i = 0; i < sku_ids_.size(); ++i) {
        const sku_state& s = sku_at(i);
        if (s.held < 0 || s.sold < 0 || s.available() < 0) {
            error = "SKU " + s.id + " breaks M1/M2: stock=" + std::to_string(s.stock) +
                    " held=" + std::to_string(s.held) + " sold=" + std::to_string(s.sold);
            return false;
        }
    }
    return true;
}

}  // namespace fg::matching
