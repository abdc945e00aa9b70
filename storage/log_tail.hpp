#pragma once

// Reads the log back while it is being written: whole, CRC-checked records from a position up
// to a limit the caller takes from commit_log::durable_pos(), across segment files, including
// the active one (bytes below durable_pos are final). For consumers that follow the log, such as
// the gateway's live event feed. Framing and segment layout: storage/FORMAT.md.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "storage/commit_log.hpp"
#include "storage/detail/posix_file.hpp"

namespace fg::storage {

// What seek() found. `gap`: the records from the position asked for up to `first_pos` are gone
// (retention deleted their segments); the tail starts at the oldest segment still on disk.
struct tail_seek {
    bool gap = false;
    std::uint64_t first_pos = 0;  // where reading starts: the position asked for, or the gap's end
};

// Owned by one thread: not thread-safe. Safe beside a running commit_log and beside retention
// (a segment deleted while it is being read stays readable through the open descriptor).
class log_tail {
 public:
    explicit log_tail(std::filesystem::path dir) : dir_(std::move(dir)) {}
    log_tail(const log_tail&) = delete;
    log_tail& operator=(const log_tail&) = delete;

    // Positions the tail so that the next record handed out is the first with lsn >= pos. A
    // position inside a record skips that record (records are never handed out in part). False
    // + `error` if the directory holds no segment or a header is bad.
    [[nodiscard]] bool seek(std::uint64_t pos, tail_seek& where, std::string& error);

    // Hands every record with lsn >= the seek position and lsn + frame_len <= `limit` that was
    // not handed out before to `on_record`, in log order, stopping early once `bytes_max` frame
    // bytes went out (more is then left: call again). Returns false + `error` on corruption, an
    // I/O error, a callback refusal, or when the segment to read next was deleted under the tail
    // (seek() again). `more` (optional) is set when it stopped for bytes_max.
    [[nodiscard]] bool read(std::uint64_t limit, const replay_fn& on_record, std::string& error,
                            std::uint64_t bytes_max = UINT64_MAX, bool* more = nullptr);

    // The end of the last record handed out or skipped (its lsn + frame_len), or the seek
    // position: every record below it has been seen.
    std::uint64_t position() const { return std::max(lsn_min_, from_); }

 private:
    bool open_segment(std::uint64_t index, bool& missing, std::string& error);
    bool fill(std::uint64_t want, std::string& error);
    bool next_segment_exists() const;

    std::filesystem::path dir_;
    detail::posix_file file_;
    std::uint64_t index_ = 0;          // the open segment
    std::uint64_t segment_bytes_ = 0;  // its size
    std::uint64_t offset_ = 0;         // file offset of the next frame
    std::uint64_t lsn_min_ = 0;        // end of the last record seen
    std::uint64_t from_ = 0;           // records below this are skipped
    std::vector<std::byte> buf_;       // file bytes [buf_offset_, buf_offset_ + buf_.size())
    std::uint64_t buf_offset_ = 0;
};

}  // namespace fg::storage
