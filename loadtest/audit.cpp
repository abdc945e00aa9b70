#include "loadtest/audit.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace fg::loadtest {

namespace {

constexpr std::size_t failures_listed_max = 20;

// What the ledger says about each key and each SKU.
struct ledger_totals {
    std::vector<std::uint8_t> key_acked;
    std::vector<std::uint8_t> key_unknown;  // sent, and no definite answer came back
    std::unordered_map<std::uint32_t, std::int64_t> acked_units;
    std::unordered_map<std::uint32_t, std::int64_t> unknown_units;
    std::unordered_map<std::uint32_t, std::int64_t> sold_out_qty_min;
};

void fail(audit_report& r, std::string line) {
    ++r.failure_count;
    if (r.failures.size() < failures_listed_max) r.failures.push_back(std::move(line));
}

ledger_totals total_up(const ledger& l) {
    ledger_totals t;
    t.key_acked.assign(l.orders.size(), 0);
    t.key_unknown.assign(l.orders.size(), 0);
    const std::uint8_t sold_out = static_cast<std::uint8_t>(
        std::find(l.codes.begin(), l.codes.end(), "sold_out") - l.codes.begin());
    for (const attempt& a : l.attempts) {
        if (a.result == outcome::acknowledged) t.key_acked[a.order] = 1;
        if (a.result == outcome::unknown && a.sent_ns >= 0) t.key_unknown[a.order] = 1;
        if (a.result != outcome::refused || a.code != sold_out) continue;
        const logical_order& o = l.orders[a.order];
        const unsigned item = o.item_count == 1 ? 0 : a.fault_item;
        if (item >= o.item_count) continue;  // the refusal did not say which SKU
        auto [it, fresh] = t.sold_out_qty_min.try_emplace(o.items[item].sku, o.items[item].qty);
        if (!fresh) it->second = std::min<std::int64_t>(it->second, o.items[item].qty);
    }
    for (std::size_t k = 0; k < l.orders.size(); ++k) {
        const logical_order& o = l.orders[k];
        const bool acked = t.key_acked[k] != 0;
        if (!acked && t.key_unknown[k] == 0) continue;
        auto& units = acked ? t.acked_units : t.unknown_units;
        for (unsigned i = 0; i < o.item_count; ++i) units[o.items[i].sku] += o.items[i].qty;
    }
    return t;
}

std::int64_t lookup(const std::unordered_map<std::uint32_t, std::int64_t>& m, std::uint32_t sku) {
    const auto it = m.find(sku);
    return it == m.end() ? 0 : it->second;
}

void check_sku(audit_report& r, const ledger_totals& t, const sku_state& s, sku_usage usage,
               const std::string& name) {
    if (!s.found) return fail(r, "A1 " + name + ": SKU not found at the end of the run");
    if (s.available < 0 || s.available + s.held + s.sold != s.stock) {
        fail(r, "A1 oversell " + name + ": available " + std::to_string(s.available) + " + held " +
                    std::to_string(s.held) + " + sold " + std::to_string(s.sold) + " != stock " +
                    std::to_string(s.stock));
    }
    const std::int64_t acked = lookup(t.acked_units, s.sku);
    const std::int64_t unknown = lookup(t.unknown_units, s.sku);
    const std::int64_t committed = s.held + s.sold;
    if (usage == sku_usage::exclusive && (committed < acked || committed > acked + unknown)) {
        fail(r, "A2 " + name + ": held + sold = " + std::to_string(committed) +
                    " outside [acknowledged " + std::to_string(acked) +
                    ", acknowledged + unknown " + std::to_string(acked + unknown) + "]");
    }
    if (const auto it = t.sold_out_qty_min.find(s.sku); it != t.sold_out_qty_min.end()) {
        if (s.available >= it->second + unknown) {
            fail(r, "A3 undersell " + name + ": refused sold_out for " +
                        std::to_string(it->second) + " unit(s) but " + std::to_string(s.available) +
                        " still available");
        }
    }
}

void check_keys(audit_report& r, const ledger& l, const std::string& key_prefix) {
    std::vector<std::string_view> order_of_key(l.orders.size());
    std::unordered_map<std::string_view, std::uint32_t> key_of_order;
    for (const attempt& a : l.attempts) {
        if (a.result != outcome::acknowledged) continue;
        const std::string_view id(a.order_id.data());
        const std::string key = key_prefix + std::to_string(l.orders[a.order].key_seq);
        if (id.empty()) {
            fail(r, "A4 key " + key + ": a 2xx answer without an order_id");
            continue;
        }
        std::string_view& first = order_of_key[a.order];
        if (first.empty()) first = id;
        if (first != id) {
            fail(r, "A4 key " + key + ": two orders " + std::string(first) + " and " +
                        std::string(id));
        }
        const auto [it, fresh] = key_of_order.try_emplace(id, a.order);
        if (!fresh && it->second != a.order) {
            fail(r, "A4 order " + std::string(id) + " answered for two keys");
        }
    }
    r.keys_checked = l.orders.size();
}

}  // namespace

std::vector<std::uint32_t> touched_skus(const ledger& l) {
    std::vector<std::uint32_t> out;
    for (const logical_order& o : l.orders) {
        for (unsigned i = 0; i < o.item_count; ++i) out.push_back(o.items[i].sku);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

audit_report run_audit(const ledger& l, const std::vector<sku_state>& states, sku_usage usage,
                       const std::string& sku_prefix, const std::string& key_prefix) {
    audit_report r;
    const ledger_totals t = total_up(l);
    for (const sku_state& s : states) {
        check_sku(r, t, s, usage, sku_prefix + std::to_string(s.sku));
        ++r.skus_checked;
    }
    check_keys(r, l, key_prefix);
    return r;
}

}  // namespace fg::loadtest
