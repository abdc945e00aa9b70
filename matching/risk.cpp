#include "matching/risk.hpp"

#include <algorithm>
#include <cmath>

#include "matching/assert.hpp"

namespace fg::matching {
namespace {

// Fixed point for tokens: 1 token = 10^9 units, so a rate of per_second tokens is
// per_second * 10^6 units per millisecond. Integer arithmetic keeps retry_after exact.
constexpr std::int64_t token_units = 1'000'000'000;

std::int64_t ceil_div(std::int64_t num, std::int64_t den) { return (num + den - 1) / den; }

bool velocity_on(const velocity_rule& rule) {
    return rule.max_orders > 0 && rule.action != risk_action::allow;
}

risk_verdict verdict_of(risk_action action) {
    switch (action) {
        case risk_action::allow:
            return risk_verdict::allow;
        case risk_action::review:
            return risk_verdict::review;
        case risk_action::reject:
            return risk_verdict::reject;
    }
    return risk_verdict::reject;
}

// Keeps the more severe of two decisions; on a tie the one already held.
void escalate(risk_decision& held, risk_verdict verdict, std::string_view rule) {
    if (verdict > held.verdict) held = {verdict, rule, 0};
}

bool rate_ok(const rate_limit& r) {
    return r.per_second == 0 || (r.per_second >= risk_limits::rate_per_second_min &&
                                 r.per_second <= risk_limits::rate_per_second_max && r.burst >= 0 &&
                                 r.burst <= risk_limits::burst_max);
}

bool velocity_ok(const velocity_rule& v) {
    return v.max_orders == 0 ||
           (v.max_orders <= risk_limits::velocity_orders_max && v.window_ms > 0 &&
            v.window_ms <= risk_limits::velocity_window_ms_max);
}

}  // namespace

bool risk_options::any_per_buyer() const {
    return buyer_rate.per_second > 0 || velocity_on(buyer_velocity) ||
           new_location != risk_action::allow;
}

bool risk_options::any_per_ip() const { return ip_rate.per_second > 0 || velocity_on(ip_velocity); }

ip_address ip_rule_key(const ip_address& from) {
    return from.family == ip_family::v4 ? from : prefix_of(from, 64);
}

ip_address location_of(const risk_options& options, const ip_address& from) {
    return prefix_of(
        from, from.family == ip_family::v4 ? options.ipv4_prefix_bits : options.ipv6_prefix_bits);
}

risk_guard::risk_guard(const risk_options& options)
    : options_(options),
      buyer_limiter_(make_limiter(options.buyer_rate)),
      ip_limiter_(make_limiter(options.ip_rate)) {
    FG_ASSERT(rate_ok(options.buyer_rate) && rate_ok(options.ip_rate), "M12");
    FG_ASSERT(velocity_ok(options.buyer_velocity) && velocity_ok(options.ip_velocity), "M12");
    FG_ASSERT(options.ipv4_prefix_bits <= 32 && options.ipv6_prefix_bits <= 128, "M12");
}

risk_guard::limiter risk_guard::make_limiter(const rate_limit& limit) {
    if (limit.per_second <= 0) return {};
    const double burst = limit.burst > 0 ? limit.burst : std::max(1.0, limit.per_second);
    return {std::max<std::int64_t>(1, std::llround(limit.per_second * 1e6)),
            std::llround(std::max(1.0, burst) * static_cast<double>(token_units))};
}

// Refills `b` up to `now_ms` and takes one token if there is one; otherwise `retry_ms` is the
// wait until one is back. Time going backwards restarts the clock without a refill.
bool risk_guard::take(const limiter& lim, bucket& b, std::int64_t now_ms, std::int64_t& retry_ms) {
    if (!b.active) {
        b = {lim.burst_units, now_ms, true};
    } else if (now_ms > b.last_ms) {
        const std::int64_t elapsed = now_ms - b.last_ms;
        const std::int64_t missing = lim.burst_units - b.tokens;
        // Compare before multiplying: a long idle gap would overflow the product.
        b.tokens = elapsed >= ceil_div(missing, lim.units_per_ms)
                       ? lim.burst_units
                       : b.tokens + elapsed * lim.units_per_ms;
        b.last_ms = now_ms;
    } else {
        b.last_ms = now_ms;
    }
    if (b.tokens >= token_units) {
        b.tokens -= token_units;
        return true;
    }
    retry_ms = ceil_div(token_units - b.tokens, lim.units_per_ms);
    return false;
}

bool risk_guard::full_at(const limiter& lim, const bucket& b, std::int64_t now_ms) {
    if (!b.active || lim.units_per_ms == 0) return true;
    if (now_ms < b.last_ms) return b.tokens >= lim.burst_units;
    return now_ms - b.last_ms >= ceil_div(lim.burst_units - b.tokens, lim.units_per_ms);
}

// Keeps the newest `keep` timestamps in ascending order, whatever order they arrive in.
void risk_guard::record_time(std::vector<std::int64_t>& orders_ms, std::uint32_t keep,
                             std::int64_t at_ms) {
    if (keep == 0) return;
    auto pos = std::upper_bound(orders_ms.begin(), orders_ms.end(), at_ms);
    if (orders_ms.size() < keep) {
        if (orders_ms.capacity() == 0) {
            orders_ms.reserve(keep);
            pos = orders_ms.end();  // empty: the only place
        }
        orders_ms.insert(pos, at_ms);
        return;
    }
    if (pos == orders_ms.begin()) return;  // older than everything kept
    // Drop the oldest and put the new one where it belongs: shift the smaller ones down.
    std::move(orders_ms.begin() + 1, pos, orders_ms.begin());
    *(pos - 1) = at_ms;
}

// Orders after now - window (a timestamp past now, from a clock step, still counts).
std::uint32_t risk_guard::count_within(const std::vector<std::int64_t>& orders_ms,
                                       std::int64_t window_ms, std::int64_t now_ms) {
    auto first = std::upper_bound(orders_ms.begin(), orders_ms.end(), now_ms - window_ms);
    return static_cast<std::uint32_t>(orders_ms.end() - first);
}

bool risk_guard::window_empty(const std::vector<std::int64_t>& orders_ms, std::int64_t window_ms,
                              std::int64_t now_ms) {
    return orders_ms.empty() || orders_ms.back() <= now_ms - window_ms;
}

risk_decision risk_guard::check_buyer(std::string_view buyer_id, const ip_address& from,
                                      std::int64_t now_ms) {
    if (!blocked_buyers_.empty() && blocked_buyers_.contains(buyer_id)) {
        return {risk_verdict::blocked, "blocked_buyer", 0};
    }
    if (blocked_address(from)) return {risk_verdict::blocked, "blocked_ip", 0};
    if (!options_.any_per_buyer()) return {};

    auto it = buyers_.find(buyer_id);
    if (buyer_limiter_.units_per_ms > 0) {
        if (it == buyers_.end()) it = buyers_.try_emplace(std::string(buyer_id)).first;
        std::int64_t retry_ms = 0;
        if (!take(buyer_limiter_, it->second.rate, now_ms, retry_ms)) {
            return {risk_verdict::rate_limited, "buyer_rate", retry_ms};
        }
    }
    risk_decision d;
    if (it == buyers_.end()) return d;  // no recorded orders: nothing else can fire
    const buyer_state& s = it->second;

    const velocity_rule& v = options_.buyer_velocity;
    if (velocity_on(v) && count_within(s.orders_ms, v.window_ms, now_ms) >= v.max_orders) {
        escalate(d, verdict_of(v.action), "buyer_velocity");
    }
    if (options_.new_location != risk_action::allow && !s.prefixes.empty()) {
        const ip_address here = location_of(options_, from);
        const bool known = std::any_of(s.prefixes.begin(), s.prefixes.end(),
                                       [&](const known_prefix& k) { return k.prefix == here; });
        if (!known) escalate(d, verdict_of(options_.new_location), "new_location");
    }
    return d;
}

risk_decision risk_guard::check_ip(const ip_address& from, std::int64_t now_ms) {
    if (blocked_address(from)) return {risk_verdict::blocked, "blocked_ip", 0};
    if (!options_.any_per_ip()) return {};

    const ip_address key = ip_rule_key(from);
    auto it = ips_.find(key);
    if (ip_limiter_.units_per_ms > 0) {
        if (it == ips_.end()) it = ips_.try_emplace(key).first;
        std::int64_t retry_ms = 0;
        if (!take(ip_limiter_, it->second.rate, now_ms, retry_ms)) {
            return {risk_verdict::rate_limited, "ip_rate", retry_ms};
        }
    }
    risk_decision d;
    const velocity_rule& v = options_.ip_velocity;
    if (it != ips_.end() && velocity_on(v) &&
        count_within(it->second.orders_ms, v.window_ms, now_ms) >= v.max_orders) {
        escalate(d, verdict_of(v.action), "ip_velocity");
    }
    return d;
}

bool risk_guard::blocked(std::string_view buyer_id, const ip_address& from) const {
    return (!blocked_buyers_.empty() && blocked_buyers_.contains(buyer_id)) ||
           blocked_address(from);
}

bool risk_guard::blocked_address(const ip_address& from) const {
    for (const block_length& len : block_lengths_) {
        if (len.family != from.family) continue;
        if (blocked_networks_.contains(ip_network{prefix_of(from, len.bits), len.bits})) {
            return true;
        }
    }
    return false;
}

void risk_guard::record_buyer_order(std::string_view buyer_id, const ip_address& from,
                                    std::int64_t at_ms) {
    const bool velocity = velocity_on(options_.buyer_velocity);
    const bool location = options_.new_location != risk_action::allow;
    if (!velocity && !location) return;
    auto it = buyers_.find(buyer_id);
    if (it == buyers_.end()) it = buyers_.try_emplace(std::string(buyer_id)).first;
    buyer_state& s = it->second;
    if (velocity) record_time(s.orders_ms, options_.buyer_velocity.max_orders, at_ms);
    if (!location) return;

    const ip_address here = location_of(options_, from);
    auto known = std::find_if(s.prefixes.begin(), s.prefixes.end(),
                              [&](const known_prefix& k) { return k.prefix == here; });
    if (known != s.prefixes.end()) {
        known->last_ms = std::max(known->last_ms, at_ms);
    } else if (s.prefixes.size() < risk_limits::known_prefixes_max) {
        s.prefixes.push_back({here, at_ms});
    } else {
        auto oldest = std::min_element(
            s.prefixes.begin(), s.prefixes.end(),
            [](const known_prefix& a, const known_prefix& b) { return a.last_ms < b.last_ms; });
        *oldest = {here, at_ms};
    }
}

void risk_guard::record_ip_order(const ip_address& from, std::int64_t at_ms) {
    if (!velocity_on(options_.ip_velocity)) return;
    const ip_address key = ip_rule_key(from);
    auto it = ips_.find(key);
    if (it == ips_.end()) it = ips_.try_emplace(key).first;
    record_time(it->second.orders_ms, options_.ip_velocity.max_orders, at_ms);
}

void risk_guard::set_buyer_blocked(std::string_view buyer_id, block_change change) {
    if (change == block_change::add) {
        if (!blocked_buyers_.contains(buyer_id)) blocked_buyers_.emplace(buyer_id);
    } else if (auto it = blocked_buyers_.find(buyer_id); it != blocked_buyers_.end()) {
        blocked_buyers_.erase(it);
    }
}

void risk_guard::set_network_blocked(const ip_network& net, block_change change) {
    const std::uint8_t bits = std::min(net.bits, max_prefix_bits(net.base.family));
    const ip_network normal{prefix_of(net.base, bits), bits};
    auto len = std::find_if(block_lengths_.begin(), block_lengths_.end(), [&](const auto& l) {
        return l.family == normal.base.family && l.bits == bits;
    });
    if (change == block_change::add) {
        if (!blocked_networks_.insert(normal).second) return;
        if (len == block_lengths_.end()) {
            block_lengths_.push_back({normal.base.family, bits, 1});
        } else {
            ++len->count;
        }
    } else if (blocked_networks_.erase(normal) == 1) {
        FG_ASSERT(len != block_lengths_.end() && len->count > 0, "M12");
        if (--len->count == 0) block_lengths_.erase(len);
    }
}

bool risk_guard::trim(buyer_state& s, std::int64_t now_ms) const {
    if (s.rate.active && full_at(buyer_limiter_, s.rate, now_ms)) s.rate.active = false;
    if (!s.orders_ms.empty() &&
        window_empty(s.orders_ms, options_.buyer_velocity.window_ms, now_ms)) {
        std::vector<std::int64_t>().swap(s.orders_ms);  // give the memory back
    }
    return !s.rate.active && s.orders_ms.empty() && s.prefixes.empty();
}

bool risk_guard::trim(ip_state& s, std::int64_t now_ms) const {
    if (s.rate.active && full_at(ip_limiter_, s.rate, now_ms)) s.rate.active = false;
    if (!s.orders_ms.empty() && window_empty(s.orders_ms, options_.ip_velocity.window_ms, now_ms)) {
        std::vector<std::int64_t>().swap(s.orders_ms);
    }
    return !s.rate.active && s.orders_ms.empty();
}

// Walks the map one hash bucket at a time from `cursor`. A bucket index stays meaningful across
// inserts (a rehash only makes this pass skip or repeat some entries; the next pass sees them),
// where a saved iterator would not.
template <class Map>
std::size_t risk_guard::prune_map(Map& map, std::size_t& cursor, std::int64_t now_ms,
                                  std::size_t& budget) {
    std::size_t dropped = 0;
    while (budget > 0 && !map.empty()) {
        if (cursor >= map.bucket_count()) {
            cursor = 0;
            // A pass is done: after a burst of buyers has gone, give the bucket array back too.
            if (map.bucket_count() > 1024 && map.size() < map.bucket_count() / 8) map.rehash(0);
        }
        budget -= std::min(budget, std::max<std::size_t>(1, map.bucket_size(cursor)));
        for (;;) {
            auto li = std::find_if(map.begin(cursor), map.end(cursor),
                                   [&](auto& entry) { return trim(entry.second, now_ms); });
            if (li == map.end(cursor)) break;
            map.erase(map.find(li->first));
            ++dropped;
        }
        ++cursor;
    }
    if (map.empty() && map.bucket_count() > 1024) {
        Map().swap(map);
        cursor = 0;
    }
    return dropped;
}

std::size_t risk_guard::prune(std::int64_t now_ms, std::size_t budget) {
    std::size_t for_buyers = budget - budget / 2;
    std::size_t for_ips = budget / 2;
    std::size_t dropped = prune_map(buyers_, buyer_cursor_, now_ms, for_buyers);
    for_ips += for_buyers;  // what the buyers did not need
    dropped += prune_map(ips_, ip_cursor_, now_ms, for_ips);
    return dropped;
}

}  // namespace fg::matching
