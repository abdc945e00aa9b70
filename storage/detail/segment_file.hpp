#pragma once

// Segment files: `<dir>/<20-digit index>.seg`, a 64-byte header then frames (storage/FORMAT.md).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "storage/detail/posix_file.hpp"

namespace fg::storage::detail {

inline constexpr std::size_t segment_header_bytes = 64;
inline constexpr std::uint32_t segment_version = 1;

// Immutable once written: a segment's header is written once, before any frame.
struct segment_header {
    std::uint64_t index = 0;
    std::uint64_t first_lsn = 0;      // no frame in this segment has a smaller lsn
    std::uint64_t segment_bytes = 0;  // preallocated size of the file
};

void encode_segment_header(const segment_header& h, std::span<std::byte, segment_header_bytes> out);
// False if magic, version or CRC do not match.
bool decode_segment_header(std::span<const std::byte> in, segment_header& h);

std::string segment_file_name(std::uint64_t index);
// True for names of the form <20 digits>.seg; sets index.
bool parse_segment_file_name(const std::string& name, std::uint64_t& index);

struct segment_entry {
    std::uint64_t index = 0;
    std::filesystem::path path;
};
// The *.seg files of `dir` in index order (other files are ignored). Fails on a gap.
bool list_segments(const std::filesystem::path& dir, std::vector<segment_entry>& out,
                   std::string& error);

// Where the writer appends: the open segment and the offset just past its last record.
// Writer-thread once start() ran; the opening thread before.
struct segment_cursor {
    posix_file file;
    std::uint64_t index = 0;
    std::uint64_t write_offset = 0;  // file offset of the next frame
    std::uint64_t capacity = 0;      // file size: frames must end at or before it
};

// What create_segment() ran into. no_space: the file system is full (ENOSPC or EDQUOT) while
// building the .tmp or renaming it; the .tmp is removed, nothing of the segment is left, and
// the same call may be retried once space returns. failed: any other error, or any error of the
// directory fsync after the rename (the new name's durability is then unknown).
enum class [[nodiscard]] segment_create : std::uint8_t{ok, no_space, failed};

// Creates segment `h.index` whole, or not at all: header and zeros to h.segment_bytes go to
// `<name>.tmp`, which is fsync'd, renamed and the directory fsync'd. `out` is then open on it.
// On an error before the rename the .tmp is removed, so that a full disk gets its space back.
segment_create create_segment(const std::filesystem::path& dir, const segment_header& h,
                              posix_file& out, std::string& error);

// True if `error` (a posix_file message, which ends in strerror(errno)) reports a full file
// system: ENOSPC, or EDQUOT for a quota.
bool is_no_space_error(const std::string& error);

}  // namespace fg::storage::detail
