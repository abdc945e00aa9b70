#include "matching/key_table.hpp"

#include <bit>
#include <cstring>

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

key_table::key_table() : index_(initial_cells) {}
key_table::~key_table() = default;

std::uint64_t key_table::hash(std::string_view scoped_key) {
    return detail::hash_bytes(scoped_key);
}

std::size_t key_table::start_of(std::uint64_t h) const {
    return detail::cell_for(std::rotl(h, 24), index_.size());
}

// The bytes are compared only when the 64-bit hashes are equal: a retry of the same key, or
// (rarely) another key. Only then does a key that reads from its order decode the placement.
bool key_table::holds(const index_cell& c, std::string_view scoped_key, std::uint64_t h) const {
    if (c.hash != h) return false;
    if (const order_store::entry* o = order_of(c.ref)) return placed_with(*o, scoped_key);
    return slot_at(slot_of(c.ref)).scoped.view() == scoped_key;
}

std::size_t key_table::cell_of(std::string_view scoped_key, std::uint64_t h) const {
    const std::size_t n = index_.size();
    std::size_t i = start_of(h);
    while (index_[i].ref != 0 && !holds(index_[i], scoped_key, h)) {
        if (++i == n) i = 0;
    }
    return i;
}

std::size_t key_table::cell_with(std::uint64_t h, std::uintptr_t ref) const {
    const std::size_t n = index_.size();
    std::size_t i = start_of(h);
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
    std::vector<index_cell> old(cells);
    old.swap(index_);
    const std::size_t n = index_.size();
    for (const index_cell& c : old) {
        if (c.ref == 0) continue;
        std::size_t i = start_of(c.hash);
        while (index_[i].ref != 0) {
            if (++i == n) i = 0;
        }
        index_[i] = c;
    }
}

key_found key_table::find(std::string_view scoped_key, std::uint64_t h) {
    const index_cell& c = index_[cell_of(scoped_key, h)];
    if (c.ref == 0) return {};
    if (const order_store::entry* o = order_of(c.ref)) return {.order = o};
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
        FG_ASSERT(used_ < (std::size_t{1} << 32), "slot numbers fit in 32 bits");
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
    const std::uintptr_t was = index_[cell].ref;
    if (was != 0 && order_of(was) == nullptr) return slot_at(slot_of(was)).value;
    const std::uint32_t i = new_slot();
    slot& s = slot_at(i);
    s.scoped.assign(scoped_key);
    s.hash = h;
    index_[cell] = {h, slot_ref(i)};
    if (was == 0) ++size_;
    return s.value;
}

void key_table::names_order(key_entry& e, const order_store::entry& order) {
    const std::uint32_t i = e.slot;
    const slot& s = slot_at(i);
    const std::int64_t created_at_ms = e.created_at_ms;
    index_[cell_with(s.hash, slot_ref(i))].ref = order_ref(order);
    free_slot(i);  // its age goes stale with the generation: the order's age replaces it
    ages_.push_back({created_at_ms, order_ref(order)});
}

void key_table::keep_order(std::string_view scoped_key, std::uint64_t h,
                           const order_store::entry& order, std::int64_t created_at_ms) {
    if ((size_ + 1) * 4 > index_.size() * 3) rebuild_index(index_.size() * 2);
    const std::size_t cell = cell_of(scoped_key, h);
    if (index_[cell].ref == 0) {
        ++size_;
    } else if (order_of(index_[cell].ref) == nullptr) {
        free_slot(slot_of(index_[cell].ref));
    }
    index_[cell] = {h, order_ref(order)};
    ages_.push_back({created_at_ms, order_ref(order)});
}

void key_table::aged(key_entry& e, std::int64_t created_at_ms) {
    ages_.push_back({created_at_ms, slot_age(e.slot, slot_at(e.slot).generation)});
}

void key_table::forget_up_to(std::int64_t cutoff_ms) {
    std::string scoped;
    while (!ages_.empty() && ages_.front().created_at_ms <= cutoff_ms) {
        const age a = ages_.front();
        ages_.pop_front();
        if (const order_store::entry* o = order_of(a.who)) {
            // The key's cell may have been given to a later order of the same key (replay of
            // a key used again): then that order's age forgets it.
            const order_placed_view placed = order_store::placed_view(*o);
            scope(scoped, placed.client, placed.idempotency_key);
            const std::size_t cell = cell_of(scoped, hash(scoped));
            if (index_[cell].ref == a.who) {
                erase_cell(cell);
                --size_;
            }
            continue;
        }
        const std::uint32_t i = slot_of(a.who & ((std::uint64_t{1} << 34) - 1));
        const slot& s = slot_at(i);
        // A vacant key claimed again has a newer age: only that one forgets it.
        if (!s.live || slot_age(i, s.generation) != a.who || s.value.in_flight ||
            s.value.created_at_ms != a.created_at_ms) {
            continue;
        }
        erase_cell(cell_with(s.hash, slot_ref(i)));
        free_slot(i);
        --size_;
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
        const std::size_t home = start_of(index_[next].hash);
        // The entry at `next` may fill the hole unless its home lies cyclically in (hole, next].
        const bool home_after_hole = distance(home, next) < distance(hole, next);
        if (home_after_hole) continue;
        index_[hole] = index_[next];
        hole = next;
    }
    index_[hole] = index_cell{};
}

}  // namespace fg::matching
