#pragma once

// A fast 64-bit hash of a byte string, and a mixer for 64-bit keys, for the flat tables of one
// process. Not stable across versions or builds: never store it or send it anywhere (the shard
// of a SKU is chosen by engine::sku_owner, which is stable on purpose).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace fg::matching::detail {

__extension__ using uint128 = unsigned __int128;

// Odd 64-bit constants with well spread bits (from the binary digits of pi and e).
inline constexpr std::uint64_t hash_k0 = 0x243f6a8885a308d3ull;
inline constexpr std::uint64_t hash_k1 = 0x13198a2e03707345ull;
inline constexpr std::uint64_t hash_k2 = 0xa4093822299f31d1ull;
inline constexpr std::uint64_t hash_k3 = 0xb7e151628aed2a6bull;

// The full 128-bit product folded back to 64 bits: every input bit reaches every output bit.
inline std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) {
    const uint128 p = static_cast<uint128>(a) * b;
    return static_cast<std::uint64_t>(p) ^ static_cast<std::uint64_t>(p >> 64);
}

inline std::uint64_t load_u64(const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline std::uint64_t load_u32(const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline std::uint64_t load_u8(const char* p) { return static_cast<unsigned char>(*p); }

// 16 bytes per step; the last 1..16 bytes are read as two (possibly overlapping) words. The
// length is mixed in first, so overlapping reads of different lengths do not collide.
inline std::uint64_t hash_bytes(std::string_view s) {
    const char* p = s.data();
    std::size_t n = s.size();
    std::uint64_t h = hash_k0 ^ fold_multiply(n ^ hash_k1, hash_k2);
    while (n > 16) {
        h = fold_multiply(load_u64(p) ^ hash_k1, load_u64(p + 8) ^ h);
        p += 16;
        n -= 16;
    }
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    if (n > 8) {
        a = load_u64(p);
        b = load_u64(p + n - 8);
    } else if (n >= 4) {
        a = load_u32(p);
        b = load_u32(p + n - 4);
    } else if (n > 0) {
        a = (load_u8(p) << 16) | (load_u8(p + n / 2) << 8) | load_u8(p + n - 1);
    }
    h = fold_multiply(a ^ hash_k1 ^ h, b ^ hash_k3);
    return fold_multiply(h ^ hash_k2, s.size() ^ hash_k3);
}

// Spreads a structured 64-bit key (small counters packed together) over all 64 bits.
inline std::uint64_t hash_u64(std::uint64_t key) { return fold_multiply(key ^ hash_k0, hash_k3); }

// Where a hash starts probing in a table of `cells` cells: the high half of the product, so a
// table can have any size, not only a power of two, and be sized to what it will hold.
inline std::size_t cell_for(std::uint64_t hash, std::size_t cells) {
    return static_cast<std::size_t>((static_cast<uint128>(hash) * cells) >> 64);
}

}  // namespace fg::matching::detail
