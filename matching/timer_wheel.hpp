#pragma once

// Expiry of order holds: one hierarchical timer wheel per shard instead of a timer per order or
// a scan. Four levels of 256 slots over ticks of `tick_ms` (100 ms: level 0 spans 25.6 s,
// level 3 about 13.6 years; later deadlines wait in an overflow list). A timer sits in the level
// of the highest tick digit (base 256) where its deadline differs from the cursor, and drops to a
// lower level each time the cursor enters its slot: placed once, moved at most three times (more
// only from the overflow list), fired once.
//
// Firing is exact, not rounded to ticks: advance(now) fires every timer whose deadline is
// <= now and none other. Whole slots behind the cursor fire without comparisons; the slot of the
// current tick is compared entry by entry, so advancing many times within one tick re-reads that
// slot (advance about once a tick).
//
// There is no cancel: a paid or cancelled order leaves its timer in the wheel, and the shard,
// when the timer fires, checks whether the order still waits for payment and ignores it
// otherwise. That keeps a timer at 16 bytes and schedule() at a push.
//
// Memory: timers live in chunks of 63 entries (16 bytes each) recycled through a free list, so
// after warm-up neither schedule() nor advance() allocates, and the wheel keeps the memory of its
// peak population (about 16.3 bytes a timer, plus at most one partly filled chunk per slot).
//
// Shard-local: one thread; pure (the caller passes the time, nothing reads a clock).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "matching/assert.hpp"

namespace fg::matching {

class timer_wheel {
 public:
    explicit timer_wheel(std::int64_t now_ms, std::int64_t tick_ms = 100);
    ~timer_wheel();
    timer_wheel(const timer_wheel&) = delete;
    timer_wheel& operator=(const timer_wheel&) = delete;

    // Fires `payload` at the first advance() whose now_ms >= deadline_ms (a deadline in the
    // past fires at the next advance). O(1). Called from inside an advance() callback, the timer
    // is set aside and placed when that advance() returns: it fires at the next advance() at
    // the earliest, even if already due.
    void schedule(std::int64_t deadline_ms, std::uint64_t payload);

    // Calls on_due(payload) for every timer whose deadline <= now_ms, each exactly once, in no
    // particular order; returns how many fired. Cost: proportional to the timers fired and
    // cascaded plus the non-empty slots passed, never to the timers held nor to the ticks
    // skipped (a jump of hours goes from one non-empty slot to the next). on_due must not throw
    // and must not call advance(). A now_ms earlier than a previous one moves nothing back: it
    // only fires timers already due at that time.
    template <class Fn>
    std::size_t advance(std::int64_t now_ms, Fn&& on_due);

    std::size_t size() const { return size_; }
    std::int64_t tick_ms() const { return tick_ms_; }

 private:
    struct entry {
        std::int64_t deadline_ms;
        std::uint64_t payload;
    };
    static constexpr std::size_t chunk_entries = 63;
    // A slot is a singly linked list of chunks; only its head chunk is partly filled. 1 KiB.
    struct chunk {
        chunk* next = nullptr;
        std::uint32_t count = 0;
        std::array<entry, chunk_entries> items;
    };
    static constexpr int levels = 4;
    static constexpr int slot_bits = 8;
    static constexpr std::size_t slots = std::size_t{1} << slot_bits;
    struct level {
        std::array<chunk*, slots> heads{};
        std::array<std::uint64_t, slots / 64> occupied{};  // bit per non-empty slot
    };

    std::uint64_t tick_of(std::int64_t ms) const;
    void place(entry e);
    void push(chunk*& head, entry e);
    void push_slot(int lvl, std::size_t slot, entry e);
    int next_occupied(int lvl, std::size_t from) const;
    chunk* take_chunk();
    void give_back(chunk* list);
    chunk* detach(int lvl, std::size_t slot);
    // Moves the cursor towards `target` tick and returns the (detached) list of the next
    // level-0 slot whose tick is behind `target`, or nullptr once the cursor is at `target`.
    chunk* next_due_slot(std::uint64_t target);
    void cascade_at_cursor();
    void cascade(chunk* list);
    void place_deferred();

    std::int64_t origin_ms_;
    std::int64_t tick_ms_;
    std::uint64_t cursor_ = 0;  // ticks since origin; every tick before it has fired in full
    std::array<level, levels> levels_{};
    // Deadlines beyond level 3's reach (in a later span of 2^32 ticks than the cursor). Rare:
    // with 100 ms ticks, 13.6 years away. Each time the cursor enters the span of the earliest
    // one, the whole list is placed again.
    chunk* overflow_ = nullptr;
    std::uint64_t overflow_min_tick_ = UINT64_MAX;
    chunk* free_ = nullptr;
    std::vector<std::unique_ptr<chunk>> owned_;
    std::vector<entry> deferred_;  // scheduled from inside advance()
    std::size_t size_ = 0;
    bool advancing_ = false;
};

template <class Fn>
std::size_t timer_wheel::advance(std::int64_t now_ms, Fn&& on_due) {
    FG_ASSERT(!advancing_, "timer_wheel: advance() is not reentrant");
    advancing_ = true;
    std::size_t fired = 0;
    const std::uint64_t target = std::max(tick_of(now_ms), cursor_);
    // Whole slots behind the target tick: every deadline in them is before the target tick.
    while (chunk* list = next_due_slot(target)) {
        for (chunk* c = list; c != nullptr; c = c->next) {
            for (std::uint32_t i = 0; i < c->count; ++i) on_due(c->items[i].payload);
            fired += c->count;
        }
        give_back(list);
    }
    // The current tick's slot: only what is due by now_ms; the rest goes back in.
    const std::size_t slot = cursor_ & (slots - 1);
    if (chunk* list = detach(0, slot)) {
        for (chunk* c = list; c != nullptr; c = c->next) {
            for (std::uint32_t i = 0; i < c->count; ++i) {
                const entry& e = c->items[i];
                if (e.deadline_ms <= now_ms) {
                    on_due(e.payload);
                    ++fired;
                } else {
                    push_slot(0, slot, e);
                }
            }
        }
        give_back(list);
    }
    size_ -= fired;
    advancing_ = false;
    place_deferred();
    return fired;
}

}  // namespace fg::matching
