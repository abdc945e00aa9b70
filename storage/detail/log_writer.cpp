#include "storage/detail/log_writer.hpp"

#include <chrono>
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
    if (thread_.joinable()) {
        thread_.join();
    } else if (!started_) {
        run();  // never started: drain on the caller's thread, so that stop() keeps its promise
    }
}

log_writer::counters log_writer::stats() const {
    return {batches_.load(std::memory_order_relaxed), records_.load(std::memory_order_relaxed),
            bytes_.load(std::memory_order_relaxed), fsync_ns_total_.load(std::memory_order_relaxed),
            fsync_ns_max_.load(std::memory_order_relaxed)};
}

void log_writer::run() {
    while (!failed_.load(std::memory_order_relaxed)) {  // only this thread sets it
        // Read the count before looking for work: a record published after the look changes
        // the count, so wait() below returns at once instead of sleeping through it.
        const std::uint32_t seen = ring_.publish_count();
        const batch b = collect();
        if (b.end != consumed_) {
            if (!commit(b)) return;
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

bool log_writer::commit(const batch& b) {
    if (b.records > 0) {
        if (b.roll && !roll_segment(b.first_lsn)) return false;
        std::uint64_t offset = cursor_.write_offset;
        for (int i = 0; i < b.part_count; ++i) {
            if (!cursor_.file.pwrite_all({b.parts[i].data, b.parts[i].size}, offset, error_)) {
                return fail(std::move(error_));
            }
            offset += b.parts[i].size;
        }
        FG_STORAGE_ASSERT(offset <= cursor_.capacity, "S4");
        const auto t0 = std::chrono::steady_clock::now();
        if (!cursor_.file.datasync(error_)) return fail(std::move(error_));  // never retried (S6)
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
    if (b.records > 0) notify_durable();
    return true;
}

bool log_writer::roll_segment(std::uint64_t first_lsn) {
    // Synchronous: writing a whole segment of zeros stalls this batch (tens of ms for 64 MiB).
    // The previous segment is already synced: every batch in it was.
    cursor_.file.close();
    const segment_header h{
        .index = cursor_.index + 1, .first_lsn = first_lsn, .segment_bytes = opts_.segment_bytes};
    if (!create_segment(opts_.dir, h, cursor_.file, error_)) return fail(std::move(error_));
    cursor_.index = h.index;
    cursor_.write_offset = segment_header_bytes;
    cursor_.capacity = h.segment_bytes;
    active_segment_.store(h.index, std::memory_order_release);
    return true;
}

bool log_writer::fail(std::string message) {
    error_ = std::move(message);
    // Release: a thread that sees failed() also sees error_. Nothing becomes durable after (S6).
    failed_.store(true, std::memory_order_release);
    notify_durable();  // wakes the shards so they stop waiting and answer with the failure
    return false;
}

void log_writer::notify_durable() {
    if (on_durable_) on_durable_();
}

}  // namespace fg::storage::detail
