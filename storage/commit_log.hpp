#pragma once

// The append-only, segmented, CRC32C-framed log with group commit. Every shard appends
// concurrently (lock-free); one writer thread writes batches to preallocated segment files with
// ONE fdatasync per batch; an appender knows its record is durable once durable_pos() >= the
// end_pos its append returned. See storage/README.md (invariants S1..S9) and storage/FORMAT.md.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace fg::storage {

class kept_mappings;

namespace detail {
class log_ring;
class log_writer;
}  // namespace detail

struct log_options {
    std::filesystem::path dir;                  // segment files live here; created if missing
    std::uint64_t segment_bytes = 64ull << 20;  // preallocated size of one segment file
    std::size_t ring_bytes = 16u << 20;         // bytes appended but not yet durable (power of 2)
    std::size_t batch_bytes_max = 1u << 20;     // most bytes one write + fdatasync covers
    // Records at positions below this were folded into the snapshot recovery loaded: open()
    // does not hand them out, and does not even read a segment that lies wholly below it.
    // Segments before the first one on disk may be gone (retention), but only if they lie
    // below it; otherwise open() refuses.
    std::uint64_t replay_from = 0;
    std::uint32_t no_space_retry_ms = 200;  // while the disk is full, retry this often
    // If set, open() maps each segment into it (kept_mappings.hpp), so that the payloads it
    // replays stay readable after it returns. Null: a payload is valid during its callback only.
    kept_mappings* keep = nullptr;
};

// full = the ring has no room now (answer 503 overloaded); no_space = the disk is full and the
// writer is waiting for space (answer 503, retry later; nothing was written); failed = the log
// hit an I/O error, intake must stop.
enum class append_status : std::uint8_t { ok, full, no_space, failed };

struct append_result {
    append_status status;
    std::uint64_t lsn;      // the record's position in the log stream (ok only)
    std::uint64_t end_pos;  // durable once durable_pos() >= end_pos (ok only)
};

struct replay_stats {
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;  // frame bytes of the replayed records
    std::uint64_t truncated_bytes = 0;
    std::uint64_t last_lsn = 0;
    std::uint32_t segments = 0;         // segments read
    std::uint64_t skipped_records = 0;  // read but below replay_from (already in the snapshot)
};

// Called once per record during open(), in log order; return false to abort open() (the error
// is then "replay callback refused record at <segment>:<offset>", followed by ": <error>" if
// the callback wrote into the error string given to open()).
using replay_fn =
    std::function<bool(std::uint16_t type, std::uint64_t lsn, std::span<const std::byte> payload)>;

// Thread-safe: append(), durable_pos(), failed(), stats() from any thread. Owner-thread: open(),
// set_on_durable(), start(), stop() and the destructor from the thread that owns the log.
class commit_log {
 public:
    // Opens (creating if needed) the log in opts.dir, replays every whole record through
    // `on_record`, cuts a torn tail in the last segment (zeroing it, fdatasync'd), and is then
    // ready for append(). A bad record in any earlier segment is corruption: open fails with a
    // message naming the segment file and byte offset. Returns nullptr and sets `error` on
    // failure. Does not start the writer thread.
    static std::unique_ptr<commit_log> open(const log_options& opts, const replay_fn& on_record,
                                            std::string& error);
    commit_log(const commit_log&) = delete;
    commit_log& operator=(const commit_log&) = delete;
    ~commit_log();  // stops the writer if running (drains everything appended first)

    const replay_stats& replayed() const { return replayed_; }

    // Called on the writer thread after every batch becomes durable, and once when the log
    // fails. Must be cheap and non-blocking, must not call stop(). Set before start().
    void set_on_durable(std::function<void()> fn);
    void start();  // starts the writer thread
    // Writes and syncs everything already appended, then joins the writer; idempotent. If
    // start() was never called, the drain runs on the calling thread.
    void stop();

    // Thread-safe, lock-free, never blocks, no allocation: copies `payload` into the ring as one
    // framed record with CRC32C and assigns its LSN. Records become durable in LSN order.
    // Preconditions (asserted): type != 0, payload.size() <= max_payload_bytes().
    [[nodiscard]] append_result append(std::uint16_t type, std::span<const std::byte> payload);
    std::uint64_t durable_pos()
        const;            // acquire; a record with end_pos <= durable_pos() is on disk
    bool failed() const;  // a write/fdatasync failed: nothing more becomes durable, ever
    // The disk is full: the writer could not create the next segment (or write a batch) with
    // ENOSPC and retries every no_space_retry_ms. Records appended before stay pending and
    // become durable once space returns; append() answers no_space meanwhile. Relaxed read.
    bool no_space() const;
    // The I/O error behind failed() ("fdatasync <path>: <strerror>"); empty while !failed().
    const std::string& failure_message() const;
    std::size_t max_payload_bytes() const { return max_payload_bytes_; }
    // The segment the writer appends to. Every segment with a smaller index is sealed: whole,
    // synced, never written again, so other threads may read it (read_sealed_segments) or,
    // once a snapshot covers it, delete it (remove_segments_before).
    std::uint64_t active_segment() const;

    struct counters {
        std::uint64_t batches, records, bytes, fsync_ns_total, fsync_ns_max;
        std::uint64_t ring_used_bytes;
        std::uint64_t no_space_events;  // attempts that found the disk full (each retry counts)
        bool no_space;                  // no_space() now
        bool failed;                    // failed() now
    };
    counters stats() const;  // relaxed reads, for metrics

 private:
    commit_log() = default;

    replay_stats replayed_;
    std::size_t max_payload_bytes_ = 0;
    std::unique_ptr<detail::log_ring> ring_;
    std::unique_ptr<detail::log_writer> writer_;
};

// Hands every record at or after `from_pos` in the sealed segments of `dir` with index below
// `below_index` to `on_record`, in order, and sets `next_pos` to the first position of segment
// `below_index` (every record handed out ends before it). A bad frame or header is corruption
// here: sealed segments were synced whole. Safe to run while the log's writer appends to a
// later segment.
bool read_sealed_segments(const std::filesystem::path& dir, std::uint64_t from_pos,
                          std::uint64_t below_index, const replay_fn& on_record,
                          std::uint64_t& next_pos, std::string& error);

// The bytes of the segment files in `dir`, preallocated tails included: about what opening the
// log reads, known before it starts (for engine::expect_replay_bytes). 0 when there are none or
// the directory cannot be listed: open() reports that.
std::uint64_t segment_bytes_on_disk(const std::filesystem::path& dir);

// Deletes, oldest first, each segment with index below `below_index` whose successor starts at
// or before `pos` (so all its records lie before `pos`), then fsyncs the directory. Oldest first
// keeps the remaining segments contiguous should the process die half way.
bool remove_segments_before(const std::filesystem::path& dir, std::uint64_t pos,
                            std::uint64_t below_index, std::size_t& removed, std::string& error);

}  // namespace fg::storage
