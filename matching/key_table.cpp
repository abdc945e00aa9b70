#include "matching/key_table.hpp"

#include <cstring>
#include <functional>

#include "matching/assert.hpp"

namespace fg::matching {
namespace {

constexpr std::size_t initial_cells = 1024;

}  // namespace

void key_table::key_bytes::assign(std::string_view s) {
    size_ = static_cast<std::uint16_t>(s.size());
    if (s.size() <= inline_max) {
        heap_.reset();
        std::memcpy(inline_, s.data(), s.size());
        return;
    }
    heap_ = std::make_unique_for_overwrite<char[]>(s.size());
    std::memcpy(heap_.get(), s.data(), s.size());
}

void key_table::key_bytes::clear() {
    heap_.reset();
    size_ = 0;
}

key_table::key_table() : index_(initial_cells) {}
key_table::~key_table() = default;

std::uint64_t key_table::hash(std::string_view scoped_key) {
    return std::hash<std::string_view>{}(scoped_key);
}

std::size_t key_table::cell_of(std::string_view scoped_key, std::uint64_t h) const {
    const std::size_t mask = index_.size() - 1;
    std::size_t i = h & mask;
    while (index_[i].slot != empty &&
           (index_[i].hash != h || slot_at(index_[i].slot).scoped.view() != scoped_key)) {
        i = (i + 1) & mask;
    }
    return i;
}

void key_table::grow_index() {
    std::vector<index_cell> old(index_.size() * 2);
    old.swap(index_);
    const std::size_t mask = index_.size() - 1;
    for (const index_cell& c : old) {
        if (c.slot == empty) continue;
        std::size_t i = c.hash & mask;
        while (index_[i].slot != empty) i = (i + 1) & mask;
        index_[i] = c;
    }
}

key_entry* key_table::find(std::string_view scoped_key, std::uint64_t h) {
    const index_cell& c = index_[cell_of(scoped_key, h)];
    return c.slot == empty ? nullptr : &slot_at(c.slot).value;
}

key_entry& key_table::get_or_add(std::string_view scoped_key, std::uint64_t h) {
    // At most 3/4 full, so that probes stay short.
    if ((size_ + 1) * 4 > index_.size() * 3) grow_index();
    const std::size_t cell = cell_of(scoped_key, h);
    if (index_[cell].slot != empty) return slot_at(index_[cell].slot).value;
    std::uint32_t i = 0;
    if (!free_.empty()) {
        i = free_.back();
        free_.pop_back();
    } else {
        if (used_ % slots_per_chunk == 0) {
            chunks_.push_back(std::make_unique<slot[]>(slots_per_chunk));
        }
        i = static_cast<std::uint32_t>(used_++);
    }
    slot& s = slot_at(i);
    s.scoped.assign(scoped_key);
    s.hash = h;
    s.live = true;
    s.value = key_entry{};
    s.value.slot = i;
    index_[cell] = {h, i};
    ++size_;
    return s.value;
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
        erase(a.slot);
    }
}

// Linear probing without tombstones: the cells after the freed one that would have probed
// through it move back, so every lookup still finds its key before an empty cell.
void key_table::erase(std::uint32_t i) {
    slot& s = slot_at(i);
    const std::size_t mask = index_.size() - 1;
    std::size_t hole = s.hash & mask;
    while (index_[hole].slot != i) hole = (hole + 1) & mask;
    for (std::size_t next = (hole + 1) & mask; index_[next].slot != empty;
         next = (next + 1) & mask) {
        const std::size_t home = index_[next].hash & mask;
        // The entry at `next` may fill the hole unless its home lies cyclically in (hole, next].
        const bool home_after_hole = ((next - home) & mask) < ((next - hole) & mask);
        if (home_after_hole) continue;
        index_[hole] = index_[next];
        hole = next;
    }
    index_[hole] = index_cell{};
    s.live = false;
    ++s.generation;
    s.value = key_entry{};
    s.scoped.clear();
    free_.push_back(i);
    --size_;
}

}  // namespace fg::matching
