#pragma once

// The frame of one log record, byte for byte as in storage/FORMAT.md (little-endian, 8-aligned):
//
//   0  u32 frame_len    total bytes incl. header and zero padding; multiple of 8; >= 24; 0 = end
//   4  u32 crc32c       over bytes [8, 24 + payload_len)
//   8  u64 lsn          the record's position in the log stream
//  16  u16 type         0 is reserved (padding), never on disk
//  18  u16 reserved     0
//  20  u32 payload_len
//  24  payload, then zeros up to frame_len
//
// The same bytes live in the ring and on disk, so the writer copies nothing.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace fg::storage {

static_assert(std::endian::native == std::endian::little,
              "frames are stored in host order; a big-endian port must byte-swap here");

inline constexpr std::uint32_t frame_header_bytes = 24;
inline constexpr std::uint32_t frame_align = 8;
inline constexpr std::uint16_t frame_type_padding = 0;
inline constexpr std::size_t frame_len_offset = 0;
inline constexpr std::size_t frame_crc_offset = 4;
inline constexpr std::size_t frame_lsn_offset = 8;
inline constexpr std::size_t frame_type_offset = 16;
inline constexpr std::size_t frame_payload_len_offset = 20;

constexpr std::uint64_t align8(std::uint64_t n) noexcept { return (n + 7) & ~std::uint64_t{7}; }

// Total frame bytes for a payload of `payload_len` bytes.
constexpr std::uint64_t frame_bytes(std::uint64_t payload_len) noexcept {
    return align8(frame_header_bytes + payload_len);
}

// Writes every byte of the frame except frame_len (bytes [4, frame_bytes)), including the CRC
// and the zero padding, and returns the frame_len the caller must store at offset 0. The ring
// uses this so that it can publish the frame by storing frame_len last (release).
// Precondition: dst.size() >= frame_bytes(payload.size()), type != 0.
std::uint32_t encode_frame_body(std::span<std::byte> dst, std::uint64_t lsn, std::uint16_t type,
                                std::span<const std::byte> payload) noexcept;

// encode_frame_body, then a plain store of frame_len: a whole frame in one buffer.
std::uint32_t encode_frame(std::span<std::byte> dst, std::uint64_t lsn, std::uint16_t type,
                           std::span<const std::byte> payload) noexcept;

// Why a frame is not a record. `end` is a zero frame_len: nothing more was written here.
enum class frame_status : std::uint8_t {
    ok,
    end,
    truncated,
    bad_length,
    bad_crc,
    bad_type,
    bad_lsn
};
std::string_view to_string(frame_status s) noexcept;

struct frame_view {
    frame_status status = frame_status::end;
    std::uint32_t frame_len = 0;
    std::uint16_t type = 0;
    std::uint64_t lsn = 0;
    std::span<const std::byte> payload;  // points into the decoded buffer
};

// Decodes the frame at the start of `src`, which runs to the end of the readable bytes.
// A valid frame has frame_len == frame_bytes(payload_len) <= src.size(), a matching CRC,
// type != 0 and lsn >= lsn_min (the end of the previous record).
frame_view decode_frame(std::span<const std::byte> src, std::uint64_t lsn_min) noexcept;

}  // namespace fg::storage
