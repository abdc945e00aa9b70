#pragma once

// The in-memory ring between the appenders (every shard) and the log writer: multi-producer,
// single-consumer, lock-free, bounded. Positions are 64-bit and only grow; a position's byte
// lives at ring[pos & mask]. Bytes in [released_head, tail) belong to appended records that are
// not yet durable; every other byte of the ring is zero (S3).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>

#include "storage/detail/assert.hpp"
#include "storage/record_frame.hpp"

namespace fg::storage::detail {

// In the ring only, a padding frame is published as (pad_bytes | ring_pad_flag): a pad can be as
// short as 8 bytes, too short for a type field, and frame lengths are multiples of 8 so bit 0 is
// free. Padding never reaches the disk.
inline constexpr std::uint32_t ring_pad_flag = 1;

// Thread-safe: try_append() from any thread; the consumer calls (peek, bytes, release, wait_*)
// come from the log writer thread only.
class log_ring {
 public:
    enum class reserve_status : std::uint8_t { ok, full };

    // capacity_bytes: a power of two >= 64. start_pos: multiple of 8, the first record's lsn.
    log_ring(std::size_t capacity_bytes, std::uint64_t start_pos)
        : capacity_(capacity_bytes),
          mask_(capacity_bytes - 1),
          bytes_(new (std::align_val_t{ring_alignment}) std::byte[capacity_bytes]),
          tail_(start_pos),
          released_head_(start_pos) {
        FG_STORAGE_ASSERT((capacity_ & mask_) == 0 && capacity_ >= 64, "S8");
        FG_STORAGE_ASSERT(start_pos % frame_align == 0, "S8");
        std::memset(bytes_.get(), 0, capacity_);
    }

    std::size_t capacity() const { return capacity_; }

    // Producer side: copies the record in, or refuses with `full` (never waits). Sets lsn.
    // Precondition: frame_bytes(payload.size()) <= capacity() / 2, so that the record plus any
    // padding always fits in an empty ring.
    reserve_status try_append(std::uint16_t type, std::span<const std::byte> payload,
                              std::uint64_t& lsn) noexcept {
        const auto n = static_cast<std::uint32_t>(frame_bytes(payload.size()));
        std::uint64_t tail = tail_.load(std::memory_order_relaxed);
        std::uint64_t pad = 0;
        while (true) {
            const std::uint64_t index = tail & mask_;
            pad = index + n > capacity_ ? capacity_ - index : 0;  // never straddle the end
            // Acquire: pairs with the writer's release of released_head_, so its zeroing of the
            // bytes we are about to reuse happens before our writes to them (S2, S3).
            const std::uint64_t head = released_head_.load(std::memory_order_acquire);
            if (tail + pad + n - head > capacity_) {
                // A stale tail can make head look ahead of it; only a fresh tail proves full.
                const std::uint64_t fresh = tail_.load(std::memory_order_relaxed);
                if (fresh != tail) {
                    tail = fresh;
                    continue;
                }
                return reserve_status::full;
            }
            // Relaxed: the CAS only has to make the claim unique; the bytes are handed over by
            // the release store of frame_len below, not by tail_.
            if (tail_.compare_exchange_weak(tail, tail + pad + n, std::memory_order_relaxed,
                                            std::memory_order_relaxed)) {
                break;
            }
        }
        if (pad != 0) publish_word(tail, static_cast<std::uint32_t>(pad) | ring_pad_flag);
        lsn = tail + pad;
        std::byte* frame = bytes_.get() + (lsn & mask_);
        const std::uint32_t frame_len = encode_frame_body({frame, n}, lsn, type, payload);
        publish_word(lsn, frame_len);
        bump_publish_count();
        return reserve_status::ok;
    }

    // Consumer side. The frame word at `pos`: 0 = not yet published, else frame_len, with
    // ring_pad_flag set for padding. Acquire: pairs with the producer's release store, so the
    // frame's bytes are visible once the word is.
    std::uint32_t peek(std::uint64_t pos) const noexcept {
        return std::atomic_ref<std::uint32_t>(word_at(pos)).load(std::memory_order_acquire);
    }

    // The ring bytes of [pos, pos + n). Precondition: they do not cross the ring's end.
    std::span<const std::byte> bytes(std::uint64_t pos, std::size_t n) const noexcept {
        FG_STORAGE_ASSERT((pos & mask_) + n <= capacity_, "S3");
        return {bytes_.get() + (pos & mask_), n};
    }

    // Zeroes [released_head, to) and hands those bytes back to producers.
    void release(std::uint64_t to) noexcept {
        std::uint64_t from = released_head_.load(std::memory_order_relaxed);  // only we write it
        FG_STORAGE_ASSERT(to >= from && to - from <= capacity_, "S2");
        while (from < to) {
            const std::uint64_t index = from & mask_;
            const std::uint64_t n = std::min<std::uint64_t>(to - from, capacity_ - index);
            std::memset(bytes_.get() + index, 0, n);
            from += n;
        }
        // Release: producers acquire released_head_ before reusing these bytes (see try_append).
        released_head_.store(to, std::memory_order_release);
    }

    // The writer's sleep: read the count, look for work, then wait(count) if there was none.
    std::uint32_t publish_count() const noexcept {
        return publish_count_.load(std::memory_order_acquire);  // pairs with try_append's add
    }
    void wait(std::uint32_t seen_count) const noexcept {
        publish_count_.wait(seen_count, std::memory_order_acquire);
    }
    // Wakes the writer without a record (stop()).
    void wake() noexcept { bump_publish_count(); }

    // Acquire: a reservation seen here is published soon; the writer drains up to it on stop.
    std::uint64_t tail() const noexcept { return tail_.load(std::memory_order_acquire); }
    // Relaxed: a metric, may be momentarily stale.
    std::uint64_t used_bytes() const noexcept {
        const std::uint64_t head = released_head_.load(std::memory_order_relaxed);
        const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
        return tail > head ? tail - head : 0;
    }

 private:
    static constexpr std::size_t ring_alignment = 64;

    struct aligned_delete {
        void operator()(std::byte* p) const noexcept {
            ::operator delete[](p, std::align_val_t{ring_alignment});
        }
    };

    std::uint32_t& word_at(std::uint64_t pos) const noexcept {
        return *std::launder(reinterpret_cast<std::uint32_t*>(bytes_.get() + (pos & mask_)));
    }

    // The count exists only so that the writer can sleep in wait() without missing a
    // publication. Seq_cst, not just release: notify_one() skips the futex call when its waiter
    // count (a seq_cst load) reads zero, and this store must not be reordered after that load or
    // a writer that just started waiting could sleep through it (store-load ordering).
    void bump_publish_count() noexcept {
        publish_count_.fetch_add(1, std::memory_order_seq_cst);
        publish_count_.notify_one();
    }

    void publish_word(std::uint64_t pos, std::uint32_t value) noexcept {
        // Release: the frame's other bytes, written before, are visible with this word (S3).
        std::atomic_ref<std::uint32_t>(word_at(pos)).store(value, std::memory_order_release);
    }

    const std::size_t capacity_;
    const std::uint64_t mask_;
    const std::unique_ptr<std::byte[], aligned_delete> bytes_;
    // Producers contend on tail_; the writer owns released_head_. Separate lines: no false sharing.
    alignas(64) std::atomic<std::uint64_t> tail_;
    alignas(64) std::atomic<std::uint64_t> released_head_;
    alignas(64) std::atomic<std::uint32_t> publish_count_{0};
};

}  // namespace fg::storage::detail
