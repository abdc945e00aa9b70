#pragma once

// The log writer: the one thread that moves records from the ring to the segment files, with
// group commit (one fdatasync per batch). A full disk (ENOSPC while creating the next segment or
// writing a batch) pauses it and is retried; any other I/O error, and every fdatasync error, is
// fail-stop (S6). See storage/FORMAT.md and storage/README.md.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "storage/detail/log_ring.hpp"
#include "storage/detail/segment_file.hpp"

namespace fg::storage::detail {

struct writer_options {
    std::filesystem::path dir;
    std::uint64_t segment_bytes = 0;        // size of each new segment
    std::uint64_t batch_bytes_max = 0;      // most frame bytes per write + fdatasync
    std::uint32_t no_space_retry_ms = 200;  // pause between attempts while the disk is full
};

// Writer-thread: the cursor and batch state belong to the writer thread (or, before start() and
// after stop(), to the owner). durable_pos(), failed() and the counters are thread-safe reads.
// start()/stop()/set_on_durable() are called by the log's owner only.
class log_writer {
 public:
    struct counters {
        std::uint64_t batches, records, bytes, fsync_ns_total, fsync_ns_max;
        std::uint64_t no_space_events;  // attempts that found the disk full (ENOSPC/EDQUOT)
    };

    log_writer(log_ring& ring, writer_options opts, segment_cursor cursor, std::uint64_t start_pos);
    log_writer(const log_writer&) = delete;
    log_writer& operator=(const log_writer&) = delete;
    ~log_writer();

    void set_on_durable(std::function<void()> fn);
    void start();
    // Drains and syncs everything published, then joins. Never started: drains on this thread.
    // While the disk is full it gives up instead (after at least one more attempt): records
    // still in the ring then never become durable, and were never acknowledged.
    void stop();

    // Acquire: pairs with the release store after fdatasync, so a reader that sees a position
    // also sees everything the writer did before (S1).
    std::uint64_t durable_pos() const { return durable_pos_.load(std::memory_order_acquire); }
    // Acquire: pairs with the release store in fail(), which follows the error message write.
    bool failed() const { return failed_.load(std::memory_order_acquire); }
    // True from an attempt that failed with ENOSPC until a batch is durable again. Relaxed: an
    // admission hint only (appenders refuse new writes while it is set); nothing is published
    // through it, and records appended around a change simply wait in the ring.
    bool no_space() const { return no_space_.load(std::memory_order_relaxed); }
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

    // What one attempt at a batch came to. no_space: nothing was made durable and the batch
    // stays in the ring, to be collected again after a pause.
    enum class step : std::uint8_t { done, no_space, failed };

    void run();
    batch collect() const;
    step commit(const batch& b);
    step roll_segment(std::uint64_t first_lsn);
    bool room_for_segment() const;
    step write_failed();
    step note_no_space();
    bool pause_for_space();
    step fail(std::string message);
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
    std::atomic<bool> no_space_{false};
    // The pause between attempts on a full disk; stop() notifies it so that it never waits out
    // the interval.
    std::mutex pause_mu_;
    std::condition_variable pause_cv_;
    std::atomic<std::uint64_t> durable_pos_;
    std::atomic<std::uint64_t> active_segment_;
    // Metrics: written by the writer only, read relaxed by anyone.
    std::atomic<std::uint64_t> batches_{0};
    std::atomic<std::uint64_t> records_{0};
    std::atomic<std::uint64_t> bytes_{0};
    std::atomic<std::uint64_t> fsync_ns_total_{0};
    std::atomic<std::uint64_t> fsync_ns_max_{0};
    std::atomic<std::uint64_t> no_space_events_{0};
};

}  // namespace fg::storage::detail
