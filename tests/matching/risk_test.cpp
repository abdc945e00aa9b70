#include "matching/risk.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "ip_test_support.hpp"

namespace fg::matching {
namespace {

constexpr std::int64_t t0 = 1'800'000'000'000;

using testing::ip;
using testing::net;

risk_options buyer_rate(double per_second, double burst = 0) {
    risk_options o;
    o.buyer_rate = {per_second, burst};
    return o;
}

risk_options buyer_velocity(std::uint32_t n, std::int64_t window_ms, risk_action action) {
    risk_options o;
    o.buyer_velocity = {n, window_ms, action};
    return o;
}

// One accepted order: the checks, then the records, as the gateway does at the owner shards.
risk_decision place(risk_guard& g, std::string_view buyer, const ip_address& from,
                    std::int64_t now_ms) {
    risk_decision d = g.check_buyer(buyer, from, now_ms);
    if (d.verdict == risk_verdict::allow) {
        d = g.check_ip(from, now_ms);
    }
    if (d.verdict == risk_verdict::allow || d.verdict == risk_verdict::review) {
        g.record_buyer_order(buyer, from, now_ms);
        g.record_ip_order(from, now_ms);
    }
    return d;
}

const ip_address home = ip("198.51.100.7");

}  // namespace

TEST(RiskOptions, EverythingIsOffByDefault) {
    risk_options o;
    EXPECT_FALSE(o.any_per_buyer());
    EXPECT_FALSE(o.any_per_ip());
    risk_guard g(o);
    for (int i = 0; i < 1000; ++i) {
        ASSERT_EQ(place(g, "b", home, t0).verdict, risk_verdict::allow);
    }
    EXPECT_EQ(g.buyer_entries(), 0u) << "nothing is kept when no rule is on";
    EXPECT_EQ(g.ip_entries(), 0u);
}

TEST(RiskOptions, AnyPerBuyerAndPerIpFollowTheRulesThatAreOn) {
    EXPECT_TRUE(buyer_rate(1).any_per_buyer());
    EXPECT_FALSE(buyer_rate(1).any_per_ip());
    EXPECT_TRUE(buyer_velocity(3, 1000, risk_action::review).any_per_buyer());
    EXPECT_FALSE(buyer_velocity(3, 1000, risk_action::allow).any_per_buyer())
        << "a rule whose action is allow does nothing";
    risk_options loc;
    loc.new_location = risk_action::reject;
    EXPECT_TRUE(loc.any_per_buyer());
    risk_options ipr;
    ipr.ip_rate = {10, 0};
    EXPECT_TRUE(ipr.any_per_ip());
    EXPECT_FALSE(ipr.any_per_buyer());
    risk_options ipv;
    ipv.ip_velocity = {5, 1000, risk_action::reject};
    EXPECT_TRUE(ipv.any_per_ip());
}

TEST(RiskRate, BurstThenRefusedWithExactRetryAfter) {
    risk_guard g(buyer_rate(5, 3));  // one token every 200 ms, three at most
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(g.check_buyer("b", home, t0).verdict, risk_verdict::allow) << i;
    }
    risk_decision d = g.check_buyer("b", home, t0);
    EXPECT_EQ(d.verdict, risk_verdict::rate_limited);
    EXPECT_EQ(d.rule, "buyer_rate");
    EXPECT_EQ(d.retry_after_ms, 200);

    d = g.check_buyer("b", home, t0 + 150);
    EXPECT_EQ(d.verdict, risk_verdict::rate_limited);
    EXPECT_EQ(d.retry_after_ms, 50) << "refusals take nothing; the refill goes on";
    d = g.check_buyer("b", home, t0 + 199);
    EXPECT_EQ(d.retry_after_ms, 1);
    EXPECT_EQ(g.check_buyer("b", home, t0 + 200).verdict, risk_verdict::allow);
    EXPECT_EQ(g.check_buyer("b", home, t0 + 200).retry_after_ms, 200);
}

TEST(RiskRate, RetryingAfterRetryAfterAlwaysFindsAToken) {
    // Rates that are not whole tokens per millisecond: 7/s, 1/min, 3.3/s.
    for (double rate : {7.0, 1.0 / 60, 3.3, 1000.0, 2500.0}) {
        risk_guard g(buyer_rate(rate, 1));
        std::int64_t now = t0;
        int allowed = 0;
        for (int i = 0; i < 50; ++i) {
            risk_decision d = g.check_buyer("b", home, now);
            if (d.verdict == risk_verdict::allow) {
                ++allowed;
                continue;
            }
            ASSERT_EQ(d.verdict, risk_verdict::rate_limited);
            ASSERT_GT(d.retry_after_ms, 0);
            // One millisecond early is still too early (the wait is not overstated).
            if (d.retry_after_ms > 1) {
                ASSERT_EQ(g.check_buyer("b", home, now + d.retry_after_ms - 1).verdict,
                          risk_verdict::rate_limited)
                    << rate;
            }
            now += d.retry_after_ms;
            ASSERT_EQ(g.check_buyer("b", home, now).verdict, risk_verdict::allow) << rate;
            ++allowed;
        }
        EXPECT_GE(allowed, 26) << rate;
    }
}

TEST(RiskRate, RefillStopsAtBurstAndDefaultBurstIsTheRate) {
    risk_guard g(buyer_rate(2));  // burst 0: max(1, 2) = 2
    EXPECT_EQ(g.check_buyer("b", home, t0).verdict, risk_verdict::allow);
    EXPECT_EQ(g.check_buyer("b", home, t0).verdict, risk_verdict::allow);
    EXPECT_EQ(g.check_buyer("b", home, t0).verdict, risk_verdict::rate_limited);
    // A day idle refills to 2, not more (and does not overflow).
    const std::int64_t later = t0 + 24ll * 3600 * 1000;
    EXPECT_EQ(g.check_buyer("b", home, later).verdict, risk_verdict::allow);
    EXPECT_EQ(g.check_buyer("b", home, later).verdict, risk_verdict::allow);
    EXPECT_EQ(g.check_buyer("b", home, later).verdict, risk_verdict::rate_limited);

    risk_guard slow(buyer_rate(0.5));  // burst max(1, 0.5) = 1
    EXPECT_EQ(slow.check_buyer("b", home, t0).verdict, risk_verdict::allow);
    risk_decision d = slow.check_buyer("b", home, t0);
    EXPECT_EQ(d.verdict, risk_verdict::rate_limited);
    EXPECT_EQ(d.retry_after_ms, 2000);
}

TEST(RiskRate, BuyersAndAddressesHaveTheirOwnBuckets) {
    risk_options o;
    o.buyer_rate = {1, 1};
    o.ip_rate = {1, 2};
    risk_guard g(o);
    const ip_address other = ip("203.0.113.9");
    EXPECT_EQ(g.check_buyer("alice", home, t0).verdict, risk_verdict::allow);
    EXPECT_EQ(g.check_buyer("alice", home, t0).verdict, risk_verdict::rate_limited);
    EXPECT_EQ(g.check_buyer("bob", home, t0).verdict, risk_verdict::allow)
        << "another buyer, same address";
    EXPECT_EQ(g.check_buyer("alice", other, t0).verdict, risk_verdict::rate_limited)
        << "the buyer's bucket follows the buyer";

    EXPECT_EQ(g.check_ip(home, t0).verdict, risk_verdict::allow) << "buyer checks took no IP token";
    EXPECT_EQ(g.check_ip(home, t0).verdict, risk_verdict::allow);
    risk_decision d = g.check_ip(home, t0);
    EXPECT_EQ(d.verdict, risk_verdict::rate_limited);
    EXPECT_EQ(d.rule, "ip_rate");
    EXPECT_EQ(d.retry_after_ms, 1000);
    EXPECT_EQ(g.check_ip(other, t0).verdict, risk_verdict::allow);
    EXPECT_EQ(g.check_buyer("carol", home, t0).verdict, risk_verdict::allow)
        << "the address's bucket is not the buyer's";
}

TEST(RiskRate, Ipv6AddressesInOneSlash64ShareABucket) {
    risk_options o;
    o.ip_rate = {1, 1};
    risk_guard g(o);
    EXPECT_EQ(ip_rule_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
    EXPECT_EQ(ip_rule_key(home), home);
    EXPECT_EQ(g.check_ip(ip("2001:db8:1:2::1"), t0).verdict, risk_verdict::allow);
    EXPECT_EQ(g.check_ip(ip("2001:db8:1:2:ffff::9"), t0).verdict, risk_verdict::rate_limited);
    EXPECT_EQ(g.check_ip(ip("2001:db8:1:3::1"), t0).verdict, risk_verdict::allow);
}

TEST(RiskRate, TimeGoingBackwardsNeitherRefillsNorStrands) {
    risk_guard g(buyer_rate(1, 1));
    EXPECT_EQ(g.check_buyer("b", home, t0).verdict, risk_verdict::allow);
    // The clock steps back an hour: no token appears from nowhere...
    risk_decision d = g.check_buyer("b", home, t0 - 3'600'000);
    EXPECT_EQ(d.verdict, risk_verdict::rate_limited);
    EXPECT_EQ(d.retry_after_ms, 1000) << "...and the wait is measured from the new clock";
    EXPECT_EQ(g.check_buyer("b", home, t0 - 3'600'000 + 1000).verdict, risk_verdict::allow);
}

TEST(RiskVelocity, TheOrderAfterNWithinTheWindowTriggers) {
    risk_guard g(buyer_velocity(3, 10'000, risk_action::reject));
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(place(g, "b", home, t0 + i * 1000).verdict, risk_verdict::allow) << i;
    }
    risk_decision d = place(g, "b", home, t0 + 3000);
    EXPECT_EQ(d.verdict, risk_verdict::reject);
    EXPECT_EQ(d.rule, "buyer_velocity");
    EXPECT_EQ(place(g, "other", home, t0 + 3000).verdict, risk_verdict::allow);
    // The window is (now - 10 s, now]: the first order leaves it at exactly t0 + 10 s.
    EXPECT_EQ(place(g, "b", home, t0 + 9999).verdict, risk_verdict::reject);
    EXPECT_EQ(place(g, "b", home, t0 + 10'000).verdict, risk_verdict::allow);
    // Now orders at +1 s, +2 s, +10 s are in the window again: full until +11 s.
    EXPECT_EQ(place(g, "b", home, t0 + 10'500).verdict, risk_verdict::reject);
    EXPECT_EQ(place(g, "b", home, t0 + 11'000).verdict, risk_verdict::allow);
}

TEST(RiskVelocity, ReviewIsReportedAndRefusedAttemptsDoNotCount) {
    risk_guard g(buyer_velocity(2, 60'000, risk_action::review));
    EXPECT_EQ(g.check_buyer("b", home, t0).verdict, risk_verdict::allow);
    g.record_buyer_order("b", home, t0);
    EXPECT_EQ(g.check_buyer("b", home, t0 + 1).verdict, risk_verdict::allow);
    // Checked but never recorded (refused elsewhere): counts for nothing.
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(g.check_buyer("b", home, t0 + 2).verdict, risk_verdict::allow);
    }
    g.record_buyer_order("b", home, t0 + 3);
    risk_decision d = g.check_buyer("b", home, t0 + 4);
    EXPECT_EQ(d.verdict, risk_verdict::review);
    EXPECT_EQ(d.rule, "buyer_velocity");
    EXPECT_EQ(d.retry_after_ms, 0);
}

TEST(RiskVelocity, AllowActionAndZeroOrdersAreOff) {
    risk_guard allow(buyer_velocity(1, 60'000, risk_action::allow));
    risk_guard zero(buyer_velocity(0, 60'000, risk_action::reject));
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(place(allow, "b", home, t0).verdict, risk_verdict::allow);
        EXPECT_EQ(place(zero, "b", home, t0).verdict, risk_verdict::allow);
    }
}

TEST(RiskVelocity, PerIpCountsEveryBuyerFromThatAddress) {
    risk_options o;
    o.ip_velocity = {2, 5000, risk_action::reject};
    risk_guard g(o);
    EXPECT_EQ(place(g, "a", home, t0).verdict, risk_verdict::allow);
    EXPECT_EQ(place(g, "b", home, t0 + 1).verdict, risk_verdict::allow);
    risk_decision d = g.check_ip(home, t0 + 2);
    EXPECT_EQ(d.verdict, risk_verdict::reject);
    EXPECT_EQ(d.rule, "ip_velocity");
    EXPECT_EQ(g.check_buyer("c", home, t0 + 2).verdict, risk_verdict::allow)
        << "the buyer check knows nothing of the address's orders";
    EXPECT_EQ(g.check_ip(ip("198.51.100.8"), t0 + 2).verdict, risk_verdict::allow);
    EXPECT_EQ(g.check_ip(home, t0 + 5000).verdict, risk_verdict::allow);
}

TEST(RiskVelocity, ReplayWithOldAndShuffledTimestampsKeepsTheNewest) {
    risk_guard g(buyer_velocity(3, 10'000, risk_action::reject));
    // Replayed out of order and with much older records mixed in.
    for (std::int64_t at : {t0 - 9000, t0 - 500'000, t0 - 1000, t0 - 600'000, t0 - 5000}) {
        g.record_buyer_order("b", home, at);
    }
    EXPECT_EQ(g.check_buyer("b", home, t0).verdict, risk_verdict::reject)
        << "the three newest are within 10 s";
    g.record_buyer_order("b", home, t0 - 700'000);  // older than all kept: dropped
    EXPECT_EQ(g.check_buyer("b", home, t0 + 999).verdict, risk_verdict::reject);
    // The window slides past the oldest kept (t0 - 9000) at t0 + 1000: two left.
    EXPECT_EQ(g.check_buyer("b", home, t0 + 1000).verdict, risk_verdict::allow);
    EXPECT_EQ(g.check_buyer("b", home, t0 + 5000).verdict, risk_verdict::allow);
}

TEST(RiskVelocity, ACheckEarlierThanRecordedOrdersStillCountsThem) {
    risk_guard g(buyer_velocity(1, 10'000, risk_action::reject));
    g.record_buyer_order("b", home, t0);
    EXPECT_EQ(g.check_buyer("b", home, t0 - 60'000).verdict, risk_verdict::reject)
        << "after a clock step back the order recorded 'in the future' still counts";
}

TEST(RiskNewLocation, FirstOrderNeverFlaggedSamePrefixFineOtherPrefixFlagged) {
    risk_options o;
    o.new_location = risk_action::review;
    risk_guard g(o);
    EXPECT_EQ(place(g, "b", ip("198.51.100.7"), t0).verdict, risk_verdict::allow)
        << "a first-ever order is not a new location";
    EXPECT_EQ(place(g, "b", ip("198.51.100.200"), t0 + 1).verdict, risk_verdict::allow)
        << "same /24";
    risk_decision d = place(g, "b", ip("198.51.101.7"), t0 + 2);
    EXPECT_EQ(d.verdict, risk_verdict::review);
    EXPECT_EQ(d.rule, "new_location");
    // Held for review then recorded (placed): the prefix is now known.
    EXPECT_EQ(place(g, "b", ip("198.51.101.99"), t0 + 3).verdict, risk_verdict::allow);
    EXPECT_EQ(place(g, "other", ip("203.0.113.1"), t0 + 4).verdict, risk_verdict::allow);
}

TEST(RiskNewLocation, RejectAndIpv6Slash48AndCustomPrefixLengths) {
    risk_options o;
    o.new_location = risk_action::reject;
    risk_guard g(o);
    g.record_buyer_order("b", ip("2001:db8:aaaa:1::1"), t0);
    EXPECT_EQ(g.check_buyer("b", ip("2001:db8:aaaa:ffff::2"), t0).verdict, risk_verdict::allow);
    EXPECT_EQ(g.check_buyer("b", ip("2001:db8:aaab::1"), t0).verdict, risk_verdict::reject);
    EXPECT_EQ(g.check_buyer("b", ip("198.51.100.7"), t0).verdict, risk_verdict::reject)
        << "another family is another location";
    EXPECT_EQ(g.check_buyer("b", ip("::ffff:198.51.100.7"), t0).verdict, risk_verdict::reject);

    o.ipv4_prefix_bits = 16;
    risk_guard wide(o);
    wide.record_buyer_order("b", ip("::ffff:10.1.2.3"), t0);
    EXPECT_EQ(wide.check_buyer("b", ip("10.1.200.1"), t0).verdict, risk_verdict::allow);
    EXPECT_EQ(wide.check_buyer("b", ip("10.2.0.1"), t0).verdict, risk_verdict::reject);
}

TEST(RiskNewLocation, KnownPrefixesAreCappedOldestOut) {
    risk_options o;
    o.new_location = risk_action::reject;
    risk_guard g(o);
    const std::size_t cap = risk_limits::known_prefixes_max;
    for (std::size_t i = 0; i < cap; ++i) {
        g.record_buyer_order("b", ip("10.0." + std::to_string(i) + ".1"),
                             t0 + static_cast<std::int64_t>(i));
    }
    g.record_buyer_order("b", ip("10.0.0.9"), t0 + 100);   // 10.0.0/24 seen again: now newest
    g.record_buyer_order("b", ip("10.0.99.1"), t0 + 101);  // evicts 10.0.1/24, the oldest
    EXPECT_EQ(g.check_buyer("b", ip("10.0.0.1"), t0 + 200).verdict, risk_verdict::allow);
    EXPECT_EQ(g.check_buyer("b", ip("10.0.99.1"), t0 + 200).verdict, risk_verdict::allow);
    EXPECT_EQ(g.check_buyer("b", ip("10.0.2.1"), t0 + 200).verdict, risk_verdict::allow);
    EXPECT_EQ(g.check_buyer("b", ip("10.0.1.1"), t0 + 200).verdict, risk_verdict::reject);
}

TEST(RiskVerdict, MostSevereRuleWins) {
    risk_options o;
    o.buyer_velocity = {1, 60'000, risk_action::review};
    o.new_location = risk_action::reject;
    risk_guard g(o);
    g.record_buyer_order("b", home, t0);
    risk_decision d = g.check_buyer("b", ip("203.0.113.1"), t0 + 1);
    EXPECT_EQ(d.verdict, risk_verdict::reject);
    EXPECT_EQ(d.rule, "new_location");

    o.buyer_velocity.action = risk_action::reject;
    o.new_location = risk_action::review;
    o.buyer_rate = {1, 1};
    risk_guard h(o);
    h.record_buyer_order("b", home, t0);
    d = h.check_buyer("b", ip("203.0.113.1"), t0 + 1);
    EXPECT_EQ(d.verdict, risk_verdict::reject);
    EXPECT_EQ(d.rule, "buyer_velocity");
    d = h.check_buyer("b", ip("203.0.113.1"), t0 + 2);
    EXPECT_EQ(d.verdict, risk_verdict::rate_limited) << "rate limited beats reject";
    h.set_buyer_blocked("b", risk_guard::block_change::add);
    d = h.check_buyer("b", ip("203.0.113.1"), t0 + 3);
    EXPECT_EQ(d.verdict, risk_verdict::blocked) << "blocked beats everything";
    EXPECT_EQ(d.rule, "blocked_buyer");
}

TEST(RiskBlockList, BuyerExactAddressAndNetworkThenUnblock) {
    risk_options o;  // no rules on: the block list works regardless
    risk_guard g(o);
    using bc = risk_guard::block_change;
    g.set_buyer_blocked("mallory", bc::add);
    g.set_network_blocked(net("203.0.113.5"), bc::add);
    g.set_network_blocked(net("10.0.0.0/8"), bc::add);
    g.set_network_blocked(net("2001:db8::/32"), bc::add);
    EXPECT_EQ(g.blocked_count(), 4u);

    risk_decision d = g.check_buyer("mallory", home, t0);
    EXPECT_EQ(d.verdict, risk_verdict::blocked);
    EXPECT_EQ(d.rule, "blocked_buyer");
    EXPECT_TRUE(g.blocked("mallory", home));
    EXPECT_FALSE(g.blocked("alice", home));
    EXPECT_EQ(g.check_ip(home, t0).verdict, risk_verdict::allow);

    d = g.check_ip(ip("203.0.113.5"), t0);
    EXPECT_EQ(d.verdict, risk_verdict::blocked);
    EXPECT_EQ(d.rule, "blocked_ip");
    EXPECT_EQ(g.check_buyer("alice", ip("203.0.113.5"), t0).rule, "blocked_ip");
    EXPECT_FALSE(g.blocked("alice", ip("203.0.113.6")));
    EXPECT_TRUE(g.blocked("alice", ip("10.200.3.4")));
    EXPECT_TRUE(g.blocked("alice", ip("::ffff:10.0.0.1")));
    EXPECT_FALSE(g.blocked("alice", ip("11.0.0.1")));
    EXPECT_TRUE(g.blocked("alice", ip("2001:db8:1::1")));
    EXPECT_FALSE(g.blocked("alice", ip("2001:db9::1")));

    g.set_buyer_blocked("mallory", bc::remove);
    g.set_network_blocked(net("10.1.2.3/8"), bc::remove);  // same network, host bits aside
    g.set_network_blocked(net("203.0.113.5"), bc::remove);
    g.set_network_blocked(net("203.0.113.5"), bc::remove);  // twice is harmless
    EXPECT_EQ(g.check_buyer("mallory", home, t0).verdict, risk_verdict::allow);
    EXPECT_FALSE(g.blocked("alice", ip("10.200.3.4")));
    EXPECT_FALSE(g.blocked("alice", ip("203.0.113.5")));
    EXPECT_TRUE(g.blocked("alice", ip("2001:db8:1::1")));
    EXPECT_EQ(g.blocked_count(), 1u);
}

TEST(RiskBlockList, OverlappingNetworksAndVisitingTheList) {
    risk_guard g(risk_options{});
    using bc = risk_guard::block_change;
    g.set_network_blocked(net("10.0.0.0/8"), bc::add);
    g.set_network_blocked(net("10.1.0.0/16"), bc::add);
    g.set_network_blocked(net("10.0.0.0/8"), bc::add);  // again: one entry
    g.set_buyer_blocked("x", bc::add);
    g.set_buyer_blocked("x", bc::add);
    g.set_network_blocked(net("10.0.0.0/8"), bc::remove);
    EXPECT_TRUE(g.blocked("a", ip("10.1.9.9"))) << "still inside the /16";
    EXPECT_FALSE(g.blocked("a", ip("10.2.9.9")));

    std::vector<std::string> buyers, networks;
    g.for_each_blocked_buyer([&](std::string_view id) { buyers.emplace_back(id); });
    g.for_each_blocked_network([&](const ip_network& n) { networks.push_back(to_string(n)); });
    EXPECT_EQ(buyers, std::vector<std::string>{"x"});
    EXPECT_EQ(networks, std::vector<std::string>{"10.1.0.0/16"});
}

TEST(RiskPrune, HundredThousandBuyersThenPruneBackToNothing) {
    risk_options o;
    o.buyer_rate = {1, 2};
    o.ip_rate = {1, 2};
    o.buyer_velocity = {3, 10'000, risk_action::review};
    o.ip_velocity = {3, 10'000, risk_action::review};
    risk_guard g(o);
    constexpr int buyers = 100'000;
    for (int i = 0; i < buyers; ++i) {
        ip_address from;
        from.bytes = {10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                      static_cast<std::uint8_t>(i)};
        ASSERT_EQ(place(g, "buyer-" + std::to_string(i), from, t0).verdict, risk_verdict::allow);
    }
    EXPECT_EQ(g.buyer_entries(), static_cast<std::size_t>(buyers));
    EXPECT_EQ(g.ip_entries(), static_cast<std::size_t>(buyers));

    // Too early: buckets not yet full (one token back at t0 + 1 s), windows not yet empty.
    EXPECT_EQ(g.prune(t0 + 999, 1'000'000), 0u);
    EXPECT_EQ(g.prune(t0 + 5000, 1'000'000), 0u) << "full buckets, but live windows";
    EXPECT_EQ(g.buyer_entries(), static_cast<std::size_t>(buyers));

    // Incremental: each call looks at a bounded slice.
    const std::int64_t later = t0 + 10'000;
    std::size_t dropped = 0;
    int calls = 0;
    while (g.buyer_entries() + g.ip_entries() > 0 && calls < 10'000) {
        const std::size_t n = g.prune(later, 1000);
        EXPECT_LE(n, 1000u);
        dropped += n;
        ++calls;
    }
    EXPECT_EQ(dropped, 2u * buyers);
    EXPECT_EQ(g.buyer_entries(), 0u);
    EXPECT_EQ(g.ip_entries(), 0u);
    EXPECT_GT(calls, 100) << "the budget bounds each call";
}

TEST(RiskPrune, KeepsKnownPrefixesAndWhatIsStillLive) {
    risk_options o;
    o.buyer_rate = {1, 1};
    o.buyer_velocity = {2, 10'000, risk_action::reject};
    o.new_location = risk_action::reject;
    risk_guard g(o);
    EXPECT_EQ(place(g, "b", home, t0).verdict, risk_verdict::allow);
    EXPECT_EQ(place(g, "b", home, t0 + 1000).verdict, risk_verdict::allow);
    g.prune(t0 + 1000, 100);  // bucket empty, window full: all kept
    EXPECT_EQ(g.check_buyer("b", home, t0 + 1500).verdict, risk_verdict::rate_limited);
    EXPECT_EQ(g.check_buyer("b", home, t0 + 2000).verdict, risk_verdict::reject);

    g.prune(t0 + 60'000, 100);
    EXPECT_EQ(g.buyer_entries(), 1u) << "the known prefix keeps the buyer";
    EXPECT_EQ(g.check_buyer("b", ip("192.0.2.1"), t0 + 60'000).verdict, risk_verdict::reject)
        << "still a new location after the prune";
    EXPECT_EQ(g.check_buyer("b", home, t0 + 61'000).verdict, risk_verdict::allow);
}

// Two guards see the same random traffic; one is pruned after every step. Every verdict and
// every retry_after must match. Seed: FG_SEED=<n> to reproduce.
TEST(RiskPrune, NeverChangesAVerdictRandomised) {
    std::uint64_t seed = std::random_device{}();
    if (const char* s = std::getenv("FG_SEED")) seed = std::strtoull(s, nullptr, 10);
    std::printf("RiskPrune.NeverChangesAVerdictRandomised seed %llu\n",
                static_cast<unsigned long long>(seed));
    std::mt19937_64 rng(seed);

    risk_options o;
    o.buyer_rate = {3, 2};
    o.ip_rate = {7, 4};
    o.buyer_velocity = {3, 2000, risk_action::review};
    o.ip_velocity = {5, 1500, risk_action::reject};
    o.new_location = risk_action::review;
    risk_guard pruned(o), kept(o);
    std::int64_t now = t0;
    std::size_t dropped = 0;
    for (int step = 0; step < 20'000; ++step) {
        now += static_cast<std::int64_t>(rng() % 200);
        const std::string buyer = "b" + std::to_string(rng() % 40);
        ip_address from;
        from.bytes = {10, 0, static_cast<std::uint8_t>(rng() % 3),
                      static_cast<std::uint8_t>(rng() % 8)};
        risk_decision a = place(pruned, buyer, from, now);
        risk_decision b = place(kept, buyer, from, now);
        ASSERT_EQ(a.verdict, b.verdict) << "seed " << seed << " step " << step;
        ASSERT_EQ(a.rule, b.rule) << "seed " << seed << " step " << step;
        ASSERT_EQ(a.retry_after_ms, b.retry_after_ms) << "seed " << seed << " step " << step;
        dropped += pruned.prune(now, 1 + rng() % 16);
    }
    EXPECT_GT(dropped, 100u) << "the prune did drop state along the way";
    EXPECT_LE(pruned.ip_entries(), kept.ip_entries());
    EXPECT_LE(pruned.buyer_entries(), kept.buyer_entries());
}

TEST(RiskGuardDeathTest, OptionsOutsideTheirBoundsAbort) {
    risk_options o;
    o.buyer_velocity = {risk_limits::velocity_orders_max + 1, 1000, risk_action::reject};
    EXPECT_DEATH({ risk_guard g(o); }, "M12");
    risk_options r;
    r.ip_rate = {-1, 0};
    EXPECT_DEATH({ risk_guard g(r); }, "M12");
    risk_options w;
    w.ip_velocity = {3, 0, risk_action::review};
    EXPECT_DEATH({ risk_guard g(w); }, "M12");
}

}  // namespace fg::matching
