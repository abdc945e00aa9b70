#include "storage/detail/log_writer.hpp"

#include <chrono>
#include <system_error>
#include <utility>

#include "storage/detail/assert.hpp"
#include "storage/record_frame.hpp"

namespace fg::storage::detail {
namespace {

void add_relaxed(std::atomic<std::uint64_t>& a, std::uint64_t v) {
    // Single writer: load + store is enough, and cheaper than a locked add.
    a.store(a.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}

}  // namespace

log_writer::log_writer(log_ring& ring, writer_options opts, segment_cursor cursor,
                       std::uint64_t start_pos)
    : ring_(ring),
      opts_(std::move(opts)),
      cursor_(std::move(cursor)),
      consumed_(start_pos),
      durable_pos_(start_pos),
      active_segment_(cursor_.index) {}

log_writer::~log_writer() {
    if (started_) stop();
}

void log_writer::set_on_durable(std::function<void()> fn) {
    FG_STORAGE_ASSERT(!started_, "S10");  // the writer thread reads it without a lock
    on_durable_ = std::move(fn);
}

void log_writer::start() {
    FG_STORAGE_ASSERT(!started_ && !stopped_, "S10");
    started_ = true;
    thread_ = std::thread([this] { run(); });
}

void log_writer::stop() {
    if (stopped_) return;
    stopped_ = true;
    // Release: the writer acquires the flag, then drains up to the ring's tail.
    stop_requested_.store(true, std::memory_order_release);
    ring_.wake();
    {
        // Taking the lock orders the flag before a pause that is about to start (it sees the
        // flag) or after one that has started (the notify below ends it).
        const std::lock_guard lock(pause_mu_);
    }
    pause_cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    } else if (!started_) {
        run();  // never started: drain on the caller's thread, so that stop() keeps its promise
    }
}

log_writer::counters log_writer::stats() const {
    return {batches_.load(std::memory_order_relaxed),
            records_.load(std::memory_order_relaxed),
            bytes_.load(std::memory_order_relaxed),
            fsync_ns_total_.load(std::memory_order_relaxed),
            fsync_ns_max_.load(std::memory_order_relaxed),
            no_space_events_.load(std::memory_order_relaxed)};
}

void log_writer::run() {
    while (!failed_.load(std::memory_order_relaxed)) {  // only this thread sets it
        // Read the count before looking for work: a record published after the look changes
        // the count, so wait() below returns at once instead of sleeping through it.
        const std::uint32_t seen = ring_.publish_count();
        const batch b = collect();
        if (b.end != consumed_) {
            const step s = commit(b);
            if (s == step::failed) return;
            // A full disk: the batch is still in the ring; collect it again after a pause.
            if (s == step::no_space && !pause_for_space()) return;
            continue;  // records that arrived during the fdatasync form the next batch
        }
        // Acquire: pairs with stop(); tail() then shows every reservation made before it.
        if (stop_requested_.load(std::memory_order_acquire) && ring_.tail() == consumed_) return;
        ring_.wait(seen);
    }
}

log_writer::batch log_writer::collect() const {
    batch b;
    std::uint64_t pos = consumed_;
    const std::uint64_t capacity = ring_.capacity();
    std::uint64_t room = cursor_.capacity - cursor_.write_offset;
    // Bounded by the ring size: past it, the ring shows this batch's own first bytes again.
    while (pos - consumed_ < capacity) {
        const std::uint32_t word = ring_.peek(pos);
        if (word == 0) break;  // not yet published: LSN order means the batch ends here (S1)
        if ((word & ring_pad_flag) != 0) {
            pos += word & ~ring_pad_flag;  // padding is consumed but never written
            continue;
        }
        FG_STORAGE_ASSERT(word % frame_align == 0 && word >= frame_header_bytes && word <= capacity,
                          "S8");
        if (b.records == 0 && word > room) {
            b.roll = true;  // a batch never spans two segments: one fdatasync covers it (S4)
            room = opts_.segment_bytes - segment_header_bytes;
            FG_STORAGE_ASSERT(word <= room, "S4");
        }
        if (b.records > 0 && (b.frame_bytes + word > opts_.batch_bytes_max || word > room)) break;
        const std::span<const std::byte> bytes = ring_.bytes(pos, word);
        if (b.part_count > 0 &&
            b.parts[b.part_count - 1].data + b.parts[b.part_count - 1].size == bytes.data()) {
            b.parts[b.part_count - 1].size += word;  // coalesce: one pwrite per contiguous run
        } else {
            FG_STORAGE_ASSERT(b.part_count < 3, "S3");
            b.parts[b.part_count++] = {bytes.data(), word};
        }
        if (b.records == 0) b.first_lsn = pos;
        pos += word;
        room -= word;
        b.frame_bytes += word;
        ++b.records;
    }
    b.end = pos;
    return b;
}

log_writer::step log_writer::commit(const batch& b) {
    if (b.records > 0) {
        if (b.roll) {
            const step rolled = roll_segment(b.first_lsn);
            if (rolled != step::done) return rolled;
        }
        std::uint64_t offset = cursor_.write_offset;
        for (int i = 0; i < b.part_count; ++i) {
            if (!cursor_.file.pwrite_all({b.parts[i].data, b.parts[i].size}, offset, error_)) {
                return write_failed();
            }
            offset += b.parts[i].size;
        }
        FG_STORAGE_ASSERT(offset <= cursor_.capacity, "S4");
        const auto t0 = std::chrono::steady_clock::now();
        // Never retried, whatever errno says, ENOSPC included (S6): after a failed fdatasync
        // the kernel may have dropped the dirty pages, so a later success proves nothing.
        if (!cursor_.file.datasync(error_)) return fail(std::move(error_));
        const auto ns =
            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::steady_clock::now() - t0)
                                           .count());
        cursor_.write_offset = offset;
        add_relaxed(batches_, 1);
        add_relaxed(records_, b.records);
        add_relaxed(bytes_, b.frame_bytes);
        add_relaxed(fsync_ns_total_, ns);
        if (ns > fsync_ns_max_.load(std::memory_order_relaxed)) {
            fsync_ns_max_.store(ns, std::memory_order_relaxed);
        }
    }
    FG_STORAGE_ASSERT(b.end > durable_pos_.load(std::memory_order_relaxed), "S1");
    // Release: whoever acquires this position sees the log as it stood after the fdatasync (S1).
    durable_pos_.store(b.end, std::memory_order_release);
    ring_.release(b.end);  // zero, then hand back to producers (S2)
    consumed_ = b.end;
    // Relaxed: see no_space(). Cleared only once a batch is durable, so intake reopens when
    // the log has shown it can write again.
    if (no_space_.load(std::memory_order_relaxed))
        no_space_.store(false, std::memory_order_relaxed);
    if (b.records > 0) notify_durable();
    return step::done;
}

log_writer::step log_writer::roll_segment(std::uint64_t first_lsn) {
    // A retry on a full disk first asks the file system: zero-filling up to a segment only to
    // meet ENOSPC again, several times a second, would churn the page cache for nothing.
    if (no_space_.load(std::memory_order_relaxed) && !room_for_segment()) return note_no_space();
    // Synchronous: writing a whole segment of zeros stalls this batch (tens of ms for 64 MiB).
    // The previous segment is already synced: every batch in it was.
    cursor_.file.close();
    const segment_header h{
        .index = cursor_.index + 1, .first_lsn = first_lsn, .segment_bytes = opts_.segment_bytes};
    switch (create_segment(opts_.dir, h, cursor_.file, error_)) {
        case segment_create::ok:
            break;
        case segment_create::no_space:
            // Nothing of the new segment is left; the cursor still names the old one, so the
            // next attempt builds the same segment again.
            return note_no_space();
        case segment_create::failed:
            return fail(std::move(error_));
    }
    cursor_.index = h.index;
    cursor_.write_offset = segment_header_bytes;
    cursor_.capacity = h.segment_bytes;
    active_segment_.store(h.index, std::memory_order_release);
    return step::done;
}

bool log_writer::room_for_segment() const {
    std::error_code ec;
    const std::filesystem::space_info info = std::filesystem::space(opts_.dir, ec);
    return ec || info.available >= opts_.segment_bytes;  // unknown: let the attempt tell
}

// A pwrite into a preallocated segment should never meet ENOSPC, but a file system that
// allocates lazily (copy-on-write, thin provisioning) may. Retrying a pwrite is safe, unlike an
// fdatasync: no sync has failed, so the page cache holds nothing that was reported written and
// then dropped; the next attempt writes the same bytes at the same offsets.
log_writer::step log_writer::write_failed() {
    if (is_no_space_error(error_)) return note_no_space();
    return fail(std::move(error_));
}

log_writer::step log_writer::note_no_space() {
    error_.clear();  // error_ belongs to fail(); readers look at it only once failed() is true
    add_relaxed(no_space_events_, 1);
    no_space_.store(true, std::memory_order_relaxed);  // relaxed: see no_space()
    return step::no_space;
}

// Waits for the retry interval, or less if stop() is called. False once stop() was requested:
// the writer then gives up on what is left (it was never acknowledged).
bool log_writer::pause_for_space() {
    std::unique_lock lock(pause_mu_);
    // Relaxed: the mutex orders this read against stop()'s store (see stop()).
    return !pause_cv_.wait_for(lock, std::chrono::milliseconds(opts_.no_space_retry_ms),
                               [this] { return stop_requested_.load(std::memory_order_relaxed); });
}

log_writer::step log_writer::fail(std::string message) {
    error_ = std::move(message);
    // Release: a thread that sees failed() also sees error_. Nothing becomes durable after (S6).
    failed_.store(true, std::memory_order_release);
    notify_durable();  // wakes the shards so they stop waiting and answer with the failure
    return step::failed;
}

void log_writer::notify_durable() {
    if (on_durable_) on_durable_();
}

}  // namespace fg::storage::detail
