#pragma once

// IP addresses and networks for the risk rules: parsing, prefixes, CIDR containment, hashing.
// Pure values: no sockets, no name resolution.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fg::matching {

enum class ip_family : std::uint8_t { v4, v6 };

// An IPv4 address keeps its 4 bytes at the front of `bytes`, the rest zero, so that equal
// addresses are equal bytes. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is stored as IPv4:
// a dual-stack listener reports IPv4 clients that way, and they must meet the same rules.
struct ip_address {
    std::array<std::uint8_t, 16> bytes{};
    ip_family family = ip_family::v4;

    friend bool operator==(const ip_address&, const ip_address&) = default;
};

// 32 for IPv4, 128 for IPv6.
std::uint8_t max_prefix_bits(ip_family family);

// Dotted IPv4 or any IPv6 text form (with `::`, embedded IPv4); nullopt for anything else,
// including zone ids (fe80::1%eth0), brackets and surrounding spaces.
std::optional<ip_address> parse_ip(std::string_view text);

// The first `bits` bits of `ip`, the rest zero; `bits` above the family's width keeps all.
ip_address prefix_of(const ip_address& ip, std::uint8_t bits);

// Canonical text (inet_ntop): "10.1.2.3", "2001:db8::1".
std::string to_string(const ip_address& ip);

// A stable hash (the same in every process and on every shard), fit for choosing an owner shard.
std::uint64_t hash_of(const ip_address& ip);

struct ip_address_hash {
    std::size_t operator()(const ip_address& ip) const { return hash_of(ip); }
};

// A CIDR network. `base` has no bits set past `bits` (parse_network masks them).
struct ip_network {
    ip_address base;
    std::uint8_t bits = 32;

    friend bool operator==(const ip_network&, const ip_network&) = default;
};

// "10.0.0.0/8", "2001:db8::/32", or a bare address (a network of one). Host bits past the
// prefix are cleared ("10.1.2.3/8" is 10.0.0.0/8). For a v4-mapped IPv6 network the length
// counts IPv6 bits and must be at least 96 ("::ffff:10.0.0.0/104" is 10.0.0.0/8).
std::optional<ip_network> parse_network(std::string_view text);

// "10.0.0.0/8"; a network of one address prints with its length too ("1.2.3.4/32").
std::string to_string(const ip_network& net);

// Whether `ip` lies in `net` (always false across families).
bool contains(const ip_network& net, const ip_address& ip);

struct ip_network_hash {
    std::size_t operator()(const ip_network& net) const {
        return hash_of(net.base) ^ (std::size_t{net.bits} * 0x9e3779b97f4a7c15ull);
    }
};

}  // namespace fg::matching
