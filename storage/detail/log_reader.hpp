#pragma once

// Replay at open(): reads every segment in order, hands each record to the caller, cuts a torn
// tail in the last segment and refuses corruption anywhere else (storage/FORMAT.md, "Replay").

#include <cstdint>
#include <string>

#include "storage/commit_log.hpp"
#include "storage/detail/segment_file.hpp"

namespace fg::storage::detail {

struct replay_outcome {
    replay_stats stats;
    bool has_segment = false;  // false: the directory holds no usable segment
    segment_cursor cursor;     // when has_segment: the last segment, open, positioned after its
                               // last record
    std::uint64_t next_segment_index = 0;  // when !has_segment: the index to create
    std::uint64_t next_pos = 0;            // the first position appends may use
};

// Runs on the thread calling commit_log::open(). False + `error` on corruption, I/O error or a
// refused record.
bool replay_log(const log_options& opts, const replay_fn& on_record, replay_outcome& out,
                std::string& error);

// The bodies of read_sealed_segments() and remove_segments_before() (commit_log.hpp).
bool read_sealed(const std::filesystem::path& dir, std::uint64_t from_pos,
                 std::uint64_t below_index, const replay_fn& on_record, std::uint64_t& next_pos,
                 std::string& error);
bool remove_before(const std::filesystem::path& dir, std::uint64_t pos, std::uint64_t below_index,
                   std::size_t& removed, std::string& error);

}  // namespace fg::storage::detail
