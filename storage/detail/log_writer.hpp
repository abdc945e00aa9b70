#pragma once

// The log writer: the one thread that moves records from the ring to the segment files, with
// group commit (one fdatasync per batch) and fail-stop on any I/O error. See storage/FORMAT.md.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "storage/detail/log_ring.hpp"
#include "storage/detail/segment_file.hpp"

namespace fg::storage::detail {

struct writer_options {
    std::filesystem::path dir;
    std::uint64_t segment_bytes = 0;    // size of each new segment
    std::uint64_t batch_bytes_max = 0;  // most frame bytes per write + fdatasync
};

// Writer-thread: the cursor and batch state belong to the writer thread (or, before start() and
// after stop(), to the owner). durable_pos(), failed() and the counters are thread-safe reads.
// start()/stop()/set_on_durable() are called by the log's owner only.
class log_writer {
 public:
    struct counters {
        std::uint64_t batches, records, bytes, fsync_ns_total, fsync_ns_max;
    };

    log_writer(log_ring& ring, writer_options opts, segment_cursor cursor, std::uint64_t start_pos);
    log_writer(const log_writer&) = delete;
    log_writer& operator=(const log_writer&) = delete;
    ~log_writer();

    void set_on_durable(std::function<void()> fn);
    void start();
    // Drains and syncs everything published, then joins. Never started: drains on this thread.
    void stop();

    // Acquire: pairs with the release store after fdatasync, so a reader that sees a position
    // also sees everything the writer did before (S1).
    std::uint64_t durable_pos() const { return durable_pos_.load(std::memory_order_acquire); }
    // Acquire: pairs with the release store in fail(), which follows the error message write.
    bool failed() const { return failed_.load(std::memory_order_acquire); }
    // The I/O error that failed the log; empty unless failed() returned true.
    const std::string& error() const { return error_; }
    counters stats() const;
    // Acquire: pairs with the release store after a new segment is in place, so a reader that
    // sees index N knows segment N-1 is whole and synced.
    std::uint64_t active_segment() const { return active_segment_.load(std::memory_order_acquire); }

 private:
    struct part {
        const std::byte* data;
        std::size_t size;
    };
    struct batch {
        std::uint64_t end = 0;  // ring position just past the last consumed byte
        std::uint64_t first_lsn = 0;
        std::uint64_t frame_bytes = 0;
        std::uint32_t records = 0;
        bool roll = false;  // the first record does not fit the current segment
        part parts[3]{};    // contiguous ring ranges: the batch wraps at most once
        int part_count = 0;
    };

    void run();
    batch collect() const;
    bool commit(const batch& b);
    bool roll_segment(std::uint64_t first_lsn);
    bool fail(std::string message);
    void notify_durable();

    log_ring& ring_;
    const writer_options opts_;
    segment_cursor cursor_;
    std::uint64_t consumed_;  // ring position up to which records are durable and released
    std::function<void()> on_durable_;
    std::thread thread_;
    bool started_ = false;
    bool stopped_ = false;
    std::string error_;  // written once, before failed_ is released

    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> failed_{false};
    std::atomic<std::uint64_t> durable_pos_;
    std::atomic<std::uint64_t> active_segment_;
    // Metrics: written by the writer only, read relaxed by anyone.
    std::atomic<std::uint64_t> batches_{0};
    std::atomic<std::uint64_t> records_{0};
    std::atomic<std::uint64_t> bytes_{0};
    std::atomic<std::uint64_t> fsync_ns_total_{0};
    std::atomic<std::uint64_t> fsync_ns_max_{0};
};

}  // namespace fg::storage::detail
