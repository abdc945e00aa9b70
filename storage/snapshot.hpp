#pragma once

// Snapshot files: the state at a log position, written as records, so that recovery loads the
// newest valid snapshot and replays only the log after it. Storage knows nothing about what the
// records mean; the domain writes them (matching::engine::export_records) and reads them back
// through the same replay function it uses for the log. Layout in storage/FORMAT.md,
// "Snapshots".
//
// A snapshot is whole or absent: it is written to `<name>.tmp`, fsync'd, renamed, and the
// directory fsync'd. A file whose header, any frame or the trailer does not check is invalid,
// and load_snapshot() refuses it before handing out a single record.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "storage/commit_log.hpp"
#include "storage/detail/posix_file.hpp"

namespace fg::storage {

struct snapshot_file {
    std::filesystem::path path;
    std::uint64_t log_pos = 0;  // replay of the log resumes at this position
};

// Owner-thread: one snapshot being written. Destroying it without commit() removes the
// temporary file, so an abandoned snapshot leaves nothing behind but (after a crash) a .tmp
// file that list_snapshots() ignores and prune_snapshots() removes.
class snapshot_writer {
 public:
    static std::unique_ptr<snapshot_writer> create(const std::filesystem::path& dir,
                                                   std::uint64_t log_pos, std::string& error);
    ~snapshot_writer();
    snapshot_writer(const snapshot_writer&) = delete;
    snapshot_writer& operator=(const snapshot_writer&) = delete;

    // Precondition: type != 0 and type != snapshot_trailer_type; payload fits a u32.
    [[nodiscard]] bool add(std::uint16_t type, std::span<const std::byte> payload,
                           std::string& error);
    // Trailer, fsync, rename into place, fsync of the directory. After it returns true the
    // snapshot survives a crash.
    [[nodiscard]] bool commit(std::string& error);

    std::uint64_t records() const { return records_; }
    std::uint64_t bytes() const { return offset_ + buffer_.size(); }
    const std::filesystem::path& path() const { return final_path_; }

 private:
    snapshot_writer() = default;
    bool flush(std::string& error);

    std::filesystem::path dir_;
    std::filesystem::path tmp_path_;
    std::filesystem::path final_path_;
    detail::posix_file file_;
    std::vector<std::byte> buffer_;
    std::uint64_t offset_ = 0;  // file bytes written so far (the buffer follows them)
    std::uint64_t log_pos_ = 0;
    std::uint64_t records_ = 0;
    bool committed_ = false;
};

// The frame type that ends a snapshot; never a domain record type.
inline constexpr std::uint16_t snapshot_trailer_type = 0xffff;

std::string snapshot_file_name(std::uint64_t log_pos);

// The snapshots of `dir`, newest (largest log position) first. A missing directory is empty.
bool list_snapshots(const std::filesystem::path& dir, std::vector<snapshot_file>& out,
                    std::string& error);

enum class snapshot_load : std::uint8_t {
    ok,
    invalid,  // unreadable or fails a check: nothing was handed out, an older one may serve
    refused,  // valid, but the callback refused a record: the caller's state is partial
};

// Checks the whole file first (header, every frame's CRC, trailer, size); only then hands each
// record to `on_record` in order. Sets `error` unless ok. With `keep`, a file that checks is
// kept mapped there before its records are handed out (kept_mappings.hpp).
snapshot_load load_snapshot(const std::filesystem::path& path, const replay_fn& on_record,
                            std::uint64_t& log_pos, std::uint64_t& records, std::string& error,
                            kept_mappings* keep = nullptr);

// Removes all but the `keep` newest snapshots, and every leftover temporary file, then
// fsyncs the directory. `keep` >= 1.
bool prune_snapshots(const std::filesystem::path& dir, std::size_t keep, std::string& error);

}  // namespace fg::storage
