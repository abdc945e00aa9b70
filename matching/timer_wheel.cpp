#include "matching/timer_wheel.hpp"

#include <bit>

namespace fg::matching {
namespace {

// Level k holds deadlines whose tick differs from the cursor first in base-256 digit k.
constexpr int overflow_shift = 32;  // 4 levels x 8 bits

}  // namespace

timer_wheel::timer_wheel(std::int64_t now_ms, std::int64_t tick_ms)
    : origin_ms_(now_ms), tick_ms_(tick_ms) {
    static_assert(sizeof(entry) == 16, "a timer is a deadline and a payload");
    static_assert(sizeof(chunk) == 1024, "a chunk fills whole cache lines");
    FG_ASSERT(tick_ms > 0, "timer_wheel: tick_ms > 0");
}

timer_wheel::~timer_wheel() = default;

std::uint64_t timer_wheel::tick_of(std::int64_t ms) const {
    if (ms <= origin_ms_) return 0;
    // ms > origin_ms_, so the unsigned difference is exact even across the sign boundary.
    const std::uint64_t since =
        static_cast<std::uint64_t>(ms) - static_cast<std::uint64_t>(origin_ms_);
    return since / static_cast<std::uint64_t>(tick_ms_);
}

void timer_wheel::schedule(std::int64_t deadline_ms, std::uint64_t payload) {
    ++size_;
    if (advancing_) {
        deferred_.push_back({deadline_ms, payload});
        return;
    }
    place({deadline_ms, payload});
}

void timer_wheel::place(entry e) {
    // A deadline already behind the cursor goes to the cursor's slot: due at the next advance.
    const std::uint64_t t = std::max(tick_of(e.deadline_ms), cursor_);
    const std::uint64_t diff = t ^ cursor_;
    const int lvl = diff == 0 ? 0 : (std::bit_width(diff) - 1) / slot_bits;
    if (lvl >= levels) {
        push(overflow_, e);
        overflow_min_tick_ = std::min(overflow_min_tick_, t);
        return;
    }
    push_slot(lvl, (t >> (lvl * slot_bits)) & (slots - 1), e);
}

void timer_wheel::push_slot(int lvl, std::size_t slot, entry e) {
    level& l = levels_[static_cast<std::size_t>(lvl)];
    push(l.heads[slot], e);
    l.occupied[slot / 64] |= std::uint64_t{1} << (slot % 64);
}

void timer_wheel::push(chunk*& head, entry e) {
    if (head == nullptr || head->count == chunk_entries) {
        chunk* c = take_chunk();
        c->next = head;
        head = c;
    }
    head->items[head->count++] = e;
}

timer_wheel::chunk* timer_wheel::take_chunk() {
    if (free_ == nullptr) {
        owned_.push_back(std::make_unique<chunk>());
        return owned_.back().get();
    }
    chunk* c = free_;
    free_ = c->next;
    c->next = nullptr;
    c->count = 0;
    return c;
}

void timer_wheel::give_back(chunk* list) {
    if (list == nullptr) return;
    chunk* tail = list;
    while (tail->next != nullptr) tail = tail->next;
    tail->next = free_;
    free_ = list;
}

timer_wheel::chunk* timer_wheel::detach(int lvl, std::size_t slot) {
    level& l = levels_[static_cast<std::size_t>(lvl)];
    chunk* list = std::exchange(l.heads[slot], nullptr);
    l.occupied[slot / 64] &= ~(std::uint64_t{1} << (slot % 64));
    return list;
}

int timer_wheel::next_occupied(int lvl, std::size_t from) const {
    const level& l = levels_[static_cast<std::size_t>(lvl)];
    for (std::size_t w = from / 64; w < l.occupied.size(); ++w) {
        std::uint64_t bits = l.occupied[w];
        if (w == from / 64) bits &= ~std::uint64_t{0} << (from % 64);
        if (bits != 0) return static_cast<int>(w * 64) + std::countr_zero(bits);
    }
    return -1;
}

timer_wheel::chunk* timer_wheel::next_due_slot(std::uint64_t target) {
    constexpr std::uint64_t block_mask = slots - 1;
    while (cursor_ < target) {
        // The rest of the current level-0 block, tick by tick through the bitmap.
        const int idx0 = next_occupied(0, cursor_ & block_mask);
        if (idx0 >= 0) {
            const std::uint64_t t = (cursor_ & ~block_mask) | static_cast<std::uint64_t>(idx0);
            if (t >= target) break;
            chunk* list = detach(0, static_cast<std::size_t>(idx0));
            cursor_ = t + 1;
            if ((cursor_ & block_mask) == 0) cascade_at_cursor();
            return list;
        }
        // Level 0 is empty ahead: jump to the start of the next non-empty slot of the lowest
        // level that has one, skipping every tick in between at once.
        std::uint64_t start = 0;
        bool found = false;
        for (int lvl = 1; lvl < levels && !found; ++lvl) {
            const int shift = lvl * slot_bits;
            const std::size_t pos = (cursor_ >> shift) & block_mask;
            const int idx = next_occupied(lvl, pos + 1);
            if (idx < 0) continue;
            start = ((cursor_ >> (shift + slot_bits)) << (shift + slot_bits)) |
                    (static_cast<std::uint64_t>(idx) << shift);
            found = true;
        }
        if (!found) {
            // Only the overflow list is left: straight to the span of its earliest deadline.
            if (overflow_ == nullptr) break;
            start = (overflow_min_tick_ >> overflow_shift) << overflow_shift;
        }
        if (start > target) break;
        cursor_ = start;
        cascade_at_cursor();
    }
    // Nothing due in full remains: what lies between the cursor and the target is empty.
    cursor_ = target;
    return nullptr;
}

void timer_wheel::cascade_at_cursor() {
    // Highest first: what comes down from a level lands below the slot cascaded next.
    if ((cursor_ & ((std::uint64_t{1} << overflow_shift) - 1)) == 0) {
        overflow_min_tick_ = UINT64_MAX;
        cascade(std::exchange(overflow_, nullptr));
    }
    for (int lvl = levels - 1; lvl >= 1; --lvl) {
        const int shift = lvl * slot_bits;
        if ((cursor_ & ((std::uint64_t{1} << shift) - 1)) != 0) continue;
        cascade(detach(lvl, (cursor_ >> shift) & (slots - 1)));
    }
}

void timer_wheel::cascade(chunk* list) {
    for (chunk* c = list; c != nullptr; c = c->next) {
        for (std::uint32_t i = 0; i < c->count; ++i) place(c->items[i]);
    }
    give_back(list);
}

void timer_wheel::place_deferred() {
    for (const entry& e : deferred_) place(e);
    deferred_.clear();
}

}  // namespace fg::matching
