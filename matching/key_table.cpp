#include "matching/key_table.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "matching/assert.hpp"
#include "matching/detail/byte_hash.hpp"

namespace fg::matching {
namespace {

constexpr std::size_t initial_cells = 1024;

// Whether `scoped` ("client \x1f key") is the key `order` was placed with.
bool placed_with(const order_store::entry& order, std::string_view scoped) {
    const order_placed_view placed = order_store::placed_view(order);
    const std::size_t c = placed.client.size();
    return scoped.size() == c + 1 + placed.idempotency_key.size() &&
           scoped.substr(0, c) == placed.client && scoped[c] == key_table::scope_separator &&
           scoped.substr(c + 1) == placed.idempotency_key;
}

}  // namespace

void key_table::key_bytes::assign(std::string_view scoped) {
    clear();
    FG_ASSERT(scoped.size() <= UINT16_MAX, "M5 (keys are short)");
    const auto size = static_cast<std::uint16_t>(scoped.size());
    block_ = new char[sizeof size + scoped.size()];
    std::memcpy(block_, &size, sizeof size);
    std::memcpy(block_ + sizeof size, scoped.data(), scoped.size());
}

void key_table::key_bytes::clear() {
    delete[] block_;
    block_ = nullptr;
}

std::string_view key_table::key_bytes::view() const {
    if (block_ == nullptr) return {};
    std::uint16_t size = 0;
    std::memcpy(&size, block_, sizeof size);
    return {block_ + sizeof size, size};
}

key_table::key_table(const order_store& orders) : orders_(orders), index_(initial_cells) {}
key_table::~key_table() = default;

std::uint64_t key_table::hash(std::string_view scoped_key) {
    return detail::hash_bytes(scoped_key);
}

// The bytes are compared only when the tags are equal: a retry of the same key, or (one time in
// 2^32) another key. Only then does a key that reads from its order decode the placement; a
// key with an entry compares the whole hash first.
bool key_table::holds(const index_cell& c, std::string_view scoped_key, std::uint64_t h) const {
    if (c.tag != tag_of(h)) return false;
    if (names_an_order(c.ref)) return placed_with(orders_.nth(order_of(c.ref)), scoped_key);
    const slot& s = slot_at(slot_of(c.ref));
    return s.hash == h && s.scoped.view() == scoped_key;
}

std::size_t key_table::cell_of(std::string_view scoped_key, std::uint64_t h) const {
    const std::size_t n = index_.size();
    std::size_t i = place_of(tag_of(h));
    while (index_[i].ref != 0 && !holds(index_[i], scoped_key, h)) {
        if (++i == n) i = 0;
    }
    return i;
}

std::size_t key_table::cell_with(std::uint32_t tag, std::uint32_t ref) const {
    const std::size_t n = index_.size();
    std::size_t i = place_of(tag);
    while (index_[i].ref != ref) {
        FG_ASSERT(index_[i].ref != 0, "a key's cell is in the index");
        if (++i == n) i = 0;
    }
    return i;
}

void key_table::reserve(std::size_t keys) {
    if (keys * 4 > index_.size() * 3) rebuild_index(keys * 4 / 3 + 1);
}

void key_table::rebuild_index(std::size_t cells) {
    FG_ASSERT(cells <= (std::size_t{1} << 32), "the index places cells with 32 bits");
    detail::zeroed_array<index_cell> old =
        std::exchange(index_, detail::zeroed_array<index_cell>(cells));
    const std::size_t n = index_.size();
    for (const index_cell& c : old) {
        if (c.ref == 0) continue;
        std::size_t i = place_of(c.tag);
        while (index_[i].ref != 0) {
            if (++i == n) i = 0;
        }
        index_[i] = c;
    }
}

key_found key_table::find(std::string_view scoped_key, std::uint64_t h) {
    const index_cell& c = index_[cell_of(scoped_key, h)];
    if (c.ref == 0) return {};
    if (names_an_order(c.ref)) return {.order = &orders_.nth(order_of(c.ref))};
    return {.entry = &slot_at(slot_of(c.ref)).value};
}

std::uint32_t key_table::new_slot() {
    std::uint32_t i = 0;
    if (!free_.empty()) {
        i = free_.back();
        free_.pop_back();
    } else {
        if (used_ % slots_per_chunk == 0) {
            chunks_.push_back(std::make_unique<slot[]>(slots_per_chunk));
        }
        FG_ASSERT(used_ < (std::size_t{1} << 31) - 1, "slot numbers fit in 31 bits");
        i = static_cast<std::uint32_t>(used_++);
    }
    slot& s = slot_at(i);
    s.live = true;
    s.value = key_entry{};
    s.value.slot = i;
    return i;
}

void key_table::free_slot(std::uint32_t i) {
    slot& s = slot_at(i);
    s.live = false;
    ++s.generation;
    s.value = key_entry{};
    s.scoped.clear();
    free_.push_back(i);
}

key_entry& key_table::get_or_add(std::string_view scoped_key, std::uint64_t h) {
    // At most 3/4 full, so that probes stay short.
    if ((size_ + 1) * 4 > index_.size() * 3) rebuild_index(index_.size() * 2);
    const std::size_t cell = cell_of(scoped_key, h);
    const std::uint32_t was = index_[cell].ref;
    if (was != 0 && !names_an_order(was)) return slot_at(slot_of(was)).value;
    const std::uint32_t i = new_slot();
    slot& s = slot_at(i);
    s.scoped.assign(scoped_key);
    s.hash = h;
    index_[cell] = {tag_of(h), slot_ref(i)};
    if (was == 0) ++size_;
    return s.value;
}

void key_table::names_order(key_entry& e, std::uint32_t order) {
    FG_ASSERT(order < (std::uint32_t{1} << 31), "order numbers fit in 31 bits");
    const std::uint32_t i = e.slot;
    index_[cell_with(tag_of(slot_at(i).hash), slot_ref(i))].ref = order_ref(order);
    free_slot(i);  // its age goes stale with the generation: the walk over the orders takes over
}

void key_table::keep_order(std::string_view scoped_key, std::uint64_t h, std::uint32_t order) {
    FG_ASSERT(order < (std::uint32_t{1} << 31), "order numbers fit in 31 bits");
    if ((size_ + 1) * 4 > index_.size() * 3) rebuild_index(index_.size() * 2);
    const std::size_t cell = cell_of(scoped_key, h);
    if (index_[cell].ref == 0) {
        ++size_;
    } else if (!names_an_order(index_[cell].ref)) {
        free_slot(slot_of(index_[cell].ref));
    }
    index_[cell] = {tag_of(h), order_ref(order)};
}

void key_table::aged(key_entry& e, std::int64_t created_at_ms) {
    ages_.push_back({created_at_ms, e.slot, slot_at(e.slot).generation});
}

void key_table::forget_up_to(std::int64_t cutoff_ms) {
    while (!ages_.empty() && ages_.front().created_at_ms <= cutoff_ms) {
        const age a = ages_.front();
        ages_.pop_front();
        const slot& s = slot_at(a.slot);
        // A vacant key claimed again has a newer age: only that one forgets it.
        if (!s.live || s.generation != a.generation || s.value.in_flight ||
            s.value.created_at_ms != a.created_at_ms) {
            continue;
        }
        erase_cell(cell_with(tag_of(s.hash), slot_ref(a.slot)));
        free_slot(a.slot);
        --size_;
    }
    // Bounded per call: after a restart, the orders whose keys were past their retention (and
    // so never brought back) are walked over a few calls rather than in one long one.
    constexpr std::size_t walk_max = std::size_t{1} << 16;
    const std::size_t walk_end = std::min(orders_.size(), orders_walked_ + walk_max);
    std::string scoped;
    for (; orders_walked_ < walk_end; ++orders_walked_) {
        const order_placed_view placed = order_store::placed_view(orders_.nth(orders_walked_));
        if (placed.created_at_ms > cutoff_ms) break;
        // The key may read from a later order of the same key now (replay of a key used
        // again), or have an entry (its order is at another shard), or be gone already.
        scope(scoped, placed.client, placed.idempotency_key);
        const std::size_t cell = cell_of(scoped, hash(scoped));
        if (index_[cell].ref == order_ref(orders_walked_)) {
            erase_cell(cell);
            --size_;
        }
    }
}

// Linear probing without tombstones: the cells after the freed one that would have probed
// through it move back, so every lookup still finds its key before an empty cell.
void key_table::erase_cell(std::size_t hole) {
    const std::size_t n = index_.size();
    auto after = [n](std::size_t c) { return c + 1 == n ? 0 : c + 1; };
    // How many cells forward from `from` to `to`, around the end.
    auto distance = [n](std::size_t from, std::size_t to) {
        return to >= from ? to - from : to + n - from;
    };
    for (std::size_t next = after(hole); index_[next].ref != 0; next = after(next)) {
        const std::size_t home = place_of(index_[next].tag);
        // The entry at `next` may fill the hole unless its home lies cyclically in (hole, next].
        const bool home_after_hole = distance(home, next) < distance(hole, next);
        if (home_after_hole) continue;
        index_[hole] = index_[next];
        hole = next;
    }
    index_[hole] = index_cell{};
}

}  // namespace fg::matching
