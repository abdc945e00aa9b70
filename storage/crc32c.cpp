#include "storage/crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace fg::storage {
namespace {

constexpr std::uint32_t castagnoli_reflected = 0x82F63B78u;

constexpr std::array<std::uint32_t, 256> make_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit) c = (c & 1u) ? (c >> 1) ^ castagnoli_reflected : c >> 1;
        table[i] = c;
    }
    return table;
}

constexpr std::array<std::uint32_t, 256> crc_table = make_table();

}  // namespace

std::uint32_t crc32c_extend_sw(std::uint32_t crc, std::span<const std::byte> data) noexcept {
    std::uint32_t c = ~crc;
    for (std::byte b : data)
        c = crc_table[(c ^ std::to_integer<std::uint32_t>(b)) & 0xFFu] ^ (c >> 8);
    return ~c;
}

#if defined(__x86_64__)

// Compiled for SSE4.2 without raising the baseline of the whole build: it is only called after
// crc32c_hw_available() said yes.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_extend_hw(
    std::uint32_t crc, std::span<const std::byte> data) noexcept {
    const std::byte* p = data.data();
    std::size_t n = data.size();
    std::uint64_t c = ~crc;
    while (n >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);  // unaligned-safe; compiles to one load
        c = _mm_crc32_u64(c, word);
        p += 8;
        n -= 8;
    }
    auto c32 = static_cast<std::uint32_t>(c);
    while (n > 0) {
        c32 = _mm_crc32_u8(c32, std::to_integer<std::uint8_t>(*p));
        ++p;
        --n;
    }
    return ~c32;
}

bool crc32c_hw_available() noexcept {
    static const bool available = __builtin_cpu_supports("sse4.2");
    return available;
}

#else

std::uint32_t crc32c_extend_hw(std::uint32_t crc, std::span<const std::byte> data) noexcept {
    return crc32c_extend_sw(crc, data);
}

bool crc32c_hw_available() noexcept { return false; }

#endif

std::uint32_t crc32c_extend(std::uint32_t crc, std::span<const std::byte> data) noexcept {
    return crc32c_hw_available() ? crc32c_extend_hw(crc, data) : crc32c_extend_sw(crc, data);
}

std::uint32_t crc32c(std::span<const std::byte> data) noexcept { return crc32c_extend(0, data); }

}  // namespace fg::storage
