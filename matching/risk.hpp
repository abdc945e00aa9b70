#pragma once

// Flash-sale risk rules: token-bucket rate limits per buyer and per IP, velocity (too many
// orders in a window), new location (a buyer's order from an IP prefix never seen for them) and
// a block list. Pure logic: every time comes in as an argument.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "matching/inventory.hpp"  // string_map, string_hash
#include "matching/ip_address.hpp"

namespace fg::matching {

enum class risk_action : std::uint8_t { allow, review, reject };

// Tokens refill continuously at per_second up to burst; burst 0 means max(1, per_second).
struct rate_limit {
    double per_second = 0;  // 0 = off
    double burst = 0;
};

// More than max_orders recorded orders within window_ms: `action`.
struct velocity_rule {
    std::uint32_t max_orders = 0;  // 0 = off
    std::int64_t window_ms = 0;
    risk_action action = risk_action::allow;
};

// Bounds on the options (the configuration parser enforces them; the guard asserts M12).
namespace risk_limits {
inline constexpr std::uint32_t velocity_orders_max = 100;  // timestamps kept per key
inline constexpr std::int64_t velocity_window_ms_max = 24ll * 3600 * 1000;
inline constexpr double rate_per_second_max = 1'000'000;
inline constexpr double rate_per_second_min = 1.0 / 3600;  // one an hour
inline constexpr double burst_max = 1'000'000;
inline constexpr std::size_t known_prefixes_max = 16;  // per buyer, oldest out
}  // namespace risk_limits

struct risk_options {
    rate_limit buyer_rate, ip_rate;
    velocity_rule buyer_velocity, ip_velocity;
    risk_action new_location = risk_action::allow;
    std::uint8_t ipv4_prefix_bits = 24, ipv6_prefix_bits = 48;  // "location" granularity

    // Whether check_buyer / record_buyer_order can do anything (else skip the hop to the
    // buyer's owner shard; the block list is checked anywhere with blocked()).
    bool any_per_buyer() const;
    // Whether check_ip / record_ip_order can do anything.
    bool any_per_ip() const;
};

// Most severe last: a check answers the highest of the verdicts its rules reach.
enum class risk_verdict : std::uint8_t { allow, review, reject, rate_limited, blocked };

struct risk_decision {
    risk_verdict verdict = risk_verdict::allow;
    // The rule that decided, empty for allow: "blocked_buyer", "blocked_ip", "buyer_rate",
    // "ip_rate", "buyer_velocity", "ip_velocity", "new_location". Points at a literal.
    std::string_view rule;
    std::int64_t retry_after_ms = 0;  // rate_limited only: until one token is back
};

// The key the per-IP rules count under: an IPv4 address itself, an IPv6 address's /64 (what
// one host or subscriber usually holds, so rotating through a /64 does not escape the limit).
// check_ip and record_ip_order for one address must run on the shard that owns this key.
ip_address ip_rule_key(const ip_address& from);

// The "location" of an address for the new-location rule (ipv4/ipv6_prefix_bits).
ip_address location_of(const risk_options& options, const ip_address& from);

// Shard-local: one per shard. A shard owns the buyers and the IP rule keys that hash to it (the
// gateway routes) and holds a full copy of the block list (small; changes are broadcast).
class risk_guard {
 public:
    explicit risk_guard(const risk_options& options);

    // At the buyer's owner shard, for each order attempt: block list (buyer and address), rate
    // (takes a token when it passes), velocity, new location. Most severe verdict wins.
    [[nodiscard]] risk_decision check_buyer(std::string_view buyer_id, const ip_address& from,
                                            std::int64_t now_ms);
    // At the owner shard of ip_rule_key(from): block list, rate (takes a token), velocity.
    [[nodiscard]] risk_decision check_ip(const ip_address& from, std::int64_t now_ms);
    // The block list alone (cheap, any shard).
    bool blocked(std::string_view buyer_id, const ip_address& from) const;
    bool blocked_address(const ip_address& from) const;

    // For every accepted order, live and during log replay (so windows and known prefixes
    // survive a restart), at the owner shard of the buyer / of ip_rule_key(from). Timestamps
    // may arrive out of order; only the newest max_orders per key are kept.
    void record_buyer_order(std::string_view buyer_id, const ip_address& from, std::int64_t at_ms);
    void record_ip_order(const ip_address& from, std::int64_t at_ms);

    enum class block_change : std::uint8_t { remove, add };
    void set_buyer_blocked(std::string_view buyer_id, block_change change);
    void set_network_blocked(const ip_network& net, block_change change);

    // Drops rate buckets that are full again and velocity windows with nothing left in them,
    // examining at most `budget` entries (or empty hash buckets) from where the last call
    // stopped. Known prefixes are kept. Returns the entries dropped. A check at a time >= now_ms
    // answers the same with or without the prune.
    std::size_t prune(std::int64_t now_ms, std::size_t budget);

    // Entries held for buyers and for IP keys (for metrics and tests).
    std::size_t buyer_entries() const { return buyers_.size(); }
    std::size_t ip_entries() const { return ips_.size(); }

    // The block list, e.g. to re-emit it as records into a snapshot.
    template <class Fn>
    void for_each_blocked_buyer(Fn&& fn) const {
        for (const std::string& id : blocked_buyers_) fn(std::string_view(id));
    }
    template <class Fn>
    void for_each_blocked_network(Fn&& fn) const {
        for (const ip_network& net : blocked_networks_) fn(net);
    }
    std::size_t blocked_count() const { return blocked_buyers_.size() + blocked_networks_.size(); }

    const risk_options& options() const { return options_; }

 private:
    // Tokens in fixed point (1 token = token_units), so that retry_after is exact: a retry at
    // now + retry_after_ms always finds a token.
    struct bucket {
        std::int64_t tokens = 0;
        std::int64_t last_ms = 0;
        bool active = false;  // false: full (never used, or pruned)
    };
    struct limiter {
        std::int64_t units_per_ms = 0;  // 0 = off
        std::int64_t burst_units = 0;
    };
    struct known_prefix {
        ip_address prefix;
        std::int64_t last_ms = 0;
    };
    struct buyer_state {
        bucket rate;
        std::vector<std::int64_t> orders_ms;  // ascending, newest max_orders
        std::vector<known_prefix> prefixes;   // at most known_prefixes_max
    };
    struct ip_state {
        bucket rate;
        std::vector<std::int64_t> orders_ms;
    };
    static limiter make_limiter(const rate_limit& limit);
    static bool take(const limiter& lim, bucket& b, std::int64_t now_ms, std::int64_t& retry_ms);
    static bool full_at(const limiter& lim, const bucket& b, std::int64_t now_ms);
    static void record_time(std::vector<std::int64_t>& orders_ms, std::uint32_t keep,
                            std::int64_t at_ms);
    static std::uint32_t count_within(const std::vector<std::int64_t>& orders_ms,
                                      std::int64_t window_ms, std::int64_t now_ms);
    static bool window_empty(const std::vector<std::int64_t>& orders_ms, std::int64_t window_ms,
                             std::int64_t now_ms);
    // Trims one entry's state for `now_ms`; true when nothing is left to keep.
    bool trim(buyer_state& s, std::int64_t now_ms) const;
    bool trim(ip_state& s, std::int64_t now_ms) const;
    template <class Map>
    std::size_t prune_map(Map& map, std::size_t& cursor, std::int64_t now_ms, std::size_t& budget);

    risk_options options_;
    limiter buyer_limiter_, ip_limiter_;
    string_map<buyer_state> buyers_;
    std::unordered_map<ip_address, ip_state, ip_address_hash> ips_;
    std::size_t buyer_cursor_ = 0, ip_cursor_ = 0;
    std::unordered_set<std::string, string_hash, std::equal_to<>> blocked_buyers_;
    std::unordered_set<ip_network, ip_network_hash> blocked_networks_;
    // Distinct (family, length) pairs among blocked networks with their counts: an address is
    // checked with one lookup per pair rather than a scan of every network.
    struct block_length {
        ip_family family;
        std::uint8_t bits;
        std::size_t count;
    };
    std::vector<block_length> block_lengths_;
};

}  // namespace fg::matching
