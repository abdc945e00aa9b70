#include "matching/ip_address.hpp"

#include <gtest/gtest.h>

#include <unordered_set>

#include "ip_test_support.hpp"

namespace fg::matching {
namespace {

using testing::ip;
using testing::net;

}  // namespace

TEST(IpAddress, ParsesDottedIpv4IntoTheFirstFourBytes) {
    ip_address a = ip("10.1.2.255");
    EXPECT_EQ(a.family, ip_family::v4);
    EXPECT_EQ(a.bytes[0], 10);
    EXPECT_EQ(a.bytes[3], 255);
    for (std::size_t i = 4; i < 16; ++i) EXPECT_EQ(a.bytes[i], 0) << i;
    EXPECT_EQ(to_string(a), "10.1.2.255");
}

TEST(IpAddress, ParsesIpv6FormsAndPrintsThemCanonically) {
    ip_address a = ip("2001:DB8:0:0:0:0:0:1");
    EXPECT_EQ(a.family, ip_family::v6);
    EXPECT_EQ(a, ip("2001:db8::1"));
    EXPECT_EQ(to_string(a), "2001:db8::1");
    EXPECT_EQ(to_string(ip("::")), "::");
    EXPECT_EQ(to_string(ip("::1")), "::1");
    EXPECT_EQ(ip("64:ff9b::1.2.3.4").family, ip_family::v6) << "only ::ffff: maps to IPv4";
}

TEST(IpAddress, V4MappedIpv6IsTheSameIpv4Address) {
    ip_address mapped = ip("::ffff:192.0.2.7");
    EXPECT_EQ(mapped.family, ip_family::v4);
    EXPECT_EQ(mapped, ip("192.0.2.7"));
    EXPECT_EQ(ip("::FFFF:c000:0207"), ip("192.0.2.7"));
    EXPECT_EQ(hash_of(mapped), hash_of(ip("192.0.2.7")));
    EXPECT_EQ(to_string(mapped), "192.0.2.7");
}

TEST(IpAddress, RefusesMalformedText) {
    for (std::string_view bad :
         {"", " 1.2.3.4", "1.2.3.4 ", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "01x.1.1.1",
          "::g", "1:::2", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "[::1]", "localhost", "1.2.3.4/24",
          "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255xxxxxxxxxxx"}) {
        EXPECT_FALSE(parse_ip(bad).has_value()) << bad;
    }
    std::string_view with_nul("1.2.3.4\0junk", 12);
    EXPECT_FALSE(parse_ip(with_nul).has_value());
}

TEST(IpAddress, PrefixKeepsTheLeadingBitsOnly) {
    EXPECT_EQ(prefix_of(ip("10.1.2.3"), 24), ip("10.1.2.0"));
    EXPECT_EQ(prefix_of(ip("10.1.255.3"), 20), ip("10.1.240.0"));
    EXPECT_EQ(prefix_of(ip("10.1.2.3"), 0), ip("0.0.0.0"));
    EXPECT_EQ(prefix_of(ip("10.1.2.3"), 32), ip("10.1.2.3"));
    EXPECT_EQ(prefix_of(ip("10.1.2.3"), 200), ip("10.1.2.3")) << "clamped to the width";
    EXPECT_EQ(prefix_of(ip("2001:db8:abcd:12::1"), 48), ip("2001:db8:abcd::"));
    EXPECT_EQ(prefix_of(ip("2001:db8:abcd:ffff::1"), 50), ip("2001:db8:abcd:c000::"));
    EXPECT_EQ(prefix_of(ip("2001:db8::1"), 128), ip("2001:db8::1"));
}

TEST(IpAddress, EqualAddressesHashEquallyAndFamiliesDiffer) {
    std::unordered_set<ip_address, ip_address_hash> set;
    set.insert(ip("1.2.3.4"));
    set.insert(ip("::ffff:1.2.3.4"));
    set.insert(ip("::102:304"));  // the same 4 bytes at the end, but IPv6
    set.insert(ip("2001:db8::1"));
    set.insert(ip("2001:db8:0::1"));
    EXPECT_EQ(set.size(), 3u);
    EXPECT_NE(ip("0.0.0.0"), ip("::"));
}

TEST(IpNetwork, ParsesCidrAndBareAddresses) {
    ip_network eight = net("10.0.0.0/8");
    EXPECT_EQ(eight.bits, 8);
    EXPECT_EQ(eight.base, ip("10.0.0.0"));
    EXPECT_EQ(to_string(eight), "10.0.0.0/8");
    EXPECT_EQ(net("1.2.3.4").bits, 32);
    EXPECT_EQ(net("2001:db8::1").bits, 128);
    EXPECT_EQ(to_string(net("2001:db8::/32")), "2001:db8::/32");
    EXPECT_EQ(net("10.1.2.3/8"), eight) << "host bits are cleared";
    EXPECT_EQ(net("::ffff:10.0.0.0/104"), eight) << "a mapped network counts IPv6 bits";
    EXPECT_EQ(net("0.0.0.0/0").bits, 0);
}

TEST(IpNetwork, RefusesBadLengths) {
    for (std::string_view bad :
         {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "10.0.0.0/ 8", "::/129",
          "::ffff:10.0.0.0/95", "/8", "x/8", "10.0.0.0/8/8"}) {
        EXPECT_FALSE(parse_network(bad).has_value()) << bad;
    }
}

TEST(IpNetwork, ContainsAddressesInsideOnlyAndNeverAcrossFamilies) {
    ip_network n = net("192.168.16.0/20");
    EXPECT_TRUE(contains(n, ip("192.168.16.0")));
    EXPECT_TRUE(contains(n, ip("192.168.31.255")));
    EXPECT_TRUE(contains(n, ip("::ffff:192.168.20.1")));
    EXPECT_FALSE(contains(n, ip("192.168.32.0")));
    EXPECT_FALSE(contains(n, ip("192.168.15.255")));
    EXPECT_TRUE(contains(net("0.0.0.0/0"), ip("8.8.8.8")));
    EXPECT_FALSE(contains(net("0.0.0.0/0"), ip("2001:db8::1")));
    EXPECT_FALSE(contains(net("::/0"), ip("8.8.8.8")));
    EXPECT_TRUE(contains(net("2001:db8::/32"), ip("2001:db8:ffff::1")));
    EXPECT_FALSE(contains(net("2001:db8::/32"), ip("2001:db9::1")));
    EXPECT_TRUE(contains(net("1.2.3.4"), ip("1.2.3.4")));
    EXPECT_FALSE(contains(net("1.2.3.4"), ip("1.2.3.5")));
}

}  // namespace fg::matching
