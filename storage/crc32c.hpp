#pragma once

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every log frame and
// segment header. Uses the SSE4.2 crc32 instruction when the CPU has it, else a table.

#include <cstddef>
#include <cstdint>
#include <span>

namespace fg::storage {

// Thread-safe: pure functions (the hardware check runs once, in a function-local static).

// CRC32C of `data`: crc32c("123456789") == 0xE3069283.
std::uint32_t crc32c(std::span<const std::byte> data) noexcept;

// CRC32C of a || data, given crc == crc32c(a). crc32c_extend(0, data) == crc32c(data).
std::uint32_t crc32c_extend(std::uint32_t crc, std::span<const std::byte> data) noexcept;

// The two implementations behind crc32c_extend, exposed so that tests and benchmarks can
// compare them. crc32c_extend_hw must only be called when crc32c_hw_available().
bool crc32c_hw_available() noexcept;
std::uint32_t crc32c_extend_sw(std::uint32_t crc, std::span<const std::byte> data) noexcept;
std::uint32_t crc32c_extend_hw(std::uint32_t crc, std::span<const std::byte> data) noexcept;

}  // namespace fg::storage
