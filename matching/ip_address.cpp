#include "matching/ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace fg::matching {
namespace {

// Longest text form inet_pton could accept ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255").
constexpr std::size_t ip_text_chars_max = 45;

bool is_v4_mapped(const unsigned char (&b)[16]) {
    for (int i = 0; i < 10; ++i) {
        if (b[i] != 0) return false;
    }
    return b[10] == 0xff && b[11] == 0xff;
}

}  // namespace

std::uint8_t max_prefix_bits(ip_family family) { return family == ip_family::v4 ? 32 : 128; }

std::optional<ip_address> parse_ip(std::string_view text) {
    if (text.empty() || text.size() > ip_text_chars_max) return std::nullopt;
    // inet_pton reads up to a NUL: "1.2.3.4\0junk" must not pass as 1.2.3.4.
    if (text.find('\0') != std::string_view::npos) return std::nullopt;
    char buf[ip_text_chars_max + 1];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';

    ip_address ip;
    unsigned char raw[16] = {};
    if (inet_pton(AF_INET, buf, raw) == 1) {
        std::copy_n(raw, 4, ip.bytes.begin());
        ip.family = ip_family::v4;
        return ip;
    }
    if (inet_pton(AF_INET6, buf, raw) == 1) {
        if (is_v4_mapped(raw)) {
            std::copy_n(raw + 12, 4, ip.bytes.begin());
            ip.family = ip_family::v4;
        } else {
            std::copy_n(raw, 16, ip.bytes.begin());
            ip.family = ip_family::v6;
        }
        return ip;
    }
    return std::nullopt;
}

ip_address prefix_of(const ip_address& ip, std::uint8_t bits) {
    ip_address out;
    out.family = ip.family;
    const unsigned width = max_prefix_bits(ip.family);
    const unsigned keep = std::min<unsigned>(bits, width);
    const unsigned whole = keep / 8;
    std::copy_n(ip.bytes.begin(), whole, out.bytes.begin());
    if (const unsigned rest = keep % 8; rest != 0) {
        out.bytes[whole] = static_cast<std::uint8_t>(ip.bytes[whole] & (0xff00u >> rest));
    }
    return out;
}

std::string to_string(const ip_address& ip) {
    char buf[INET6_ADDRSTRLEN] = {};
    const int af = ip.family == ip_family::v4 ? AF_INET : AF_INET6;
    if (inet_ntop(af, ip.bytes.data(), buf, sizeof buf) == nullptr) return {};
    return buf;
}

std::uint64_t hash_of(const ip_address& ip) {
    // FNV-1a over the family and the bytes that can be non-zero.
    std::uint64_t h = 0xcbf29ce484222325ull;
    auto mix = [&h](std::uint8_t byte) {
        h ^= byte;
        h *= 0x100000001b3ull;
    };
    mix(static_cast<std::uint8_t>(ip.family));
    const std::size_t n = ip.family == ip_family::v4 ? 4 : 16;
    for (std::size_t i = 0; i < n; ++i) mix(ip.bytes[i]);
    return h;
}

std::optional<ip_network> parse_network(std::string_view text) {
    const auto slash = text.find('/');
    auto ip = parse_ip(text.substr(0, slash));
    if (!ip) return std::nullopt;
    const std::uint8_t width = max_prefix_bits(ip->family);
    if (slash == std::string_view::npos) return ip_network{*ip, width};

    const std::string_view len_text = text.substr(slash + 1);
    unsigned len = 0;
    auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
    if (len_text.empty() || ec != std::errc{} || end != len_text.data() + len_text.size()) {
        return std::nullopt;
    }
    // A v4-mapped IPv6 text form carries an IPv6 length; the address itself became IPv4.
    const bool written_as_v6 = text.substr(0, slash).find(':') != std::string_view::npos;
    if (written_as_v6 && ip->family == ip_family::v4) {
        if (len < 96) return std::nullopt;
        len -= 96;
    }
    if (len > width) return std::nullopt;
    const auto bits = static_cast<std::uint8_t>(len);
    return ip_network{prefix_of(*ip, bits), bits};
}

std::string to_string(const ip_network& net) {
    return to_string(net.base) + "/" + std::to_string(net.bits);
}

bool contains(const ip_network& net, const ip_address& ip) {
    return ip.family == net.base.family && prefix_of(ip, net.bits) == net.base;
}

}  // namespace fg::matching
