#include "matching/key_table.hpp"

#include <bit>
#include <cstring>
#include <functional>

#include "matching/assert.hpp"
#include "matching/detail/byte_hash.hpp"

namespace fg::matching {
namespace {

constexpr std::size_t initial_cells = 1024;

}  // namespace

void key_table::key_bytes::copy(std::string_view scoped) {
    clear();
    FG_ASSERT(scoped.size() <= UINT16_MAX, "M5 (keys are short)");
    char* block = new char[sizeof(std::uint16_t) + scoped.size()];
    const auto size = static_cast<std::uint16_t>(scoped.size());
    std::memcpy(block, &size, sizeof size);
    std::memcpy(block + sizeof size, scoped.data(), scoped.size());
    bits_ = reinterpret_cast<std::uintptr_t>(block);
}

void key_table::key_bytes::borrow(const order_store::entry& order) {
    static_assert(alignof(order_store::entry) > 1, "the low bit of its address is free");
    clear();
    bits_ = reinterpret_cast<std::uintptr_t>(&order) | 1;
}

void key_table::key_bytes::clear() {
    if (bits_ != 0 && (bits_ & 1) == 0) delete[] reinterpret_cast<char*>(bits_);
    bits_ = 0;
}

bool key_table::key_bytes::equals(std::string_view scoped) const {
    if (bits_ == 0) return false;
    if ((bits_ & 1) == 0) {
        const char* block = reinterpret_cast<const char*>(bits_);
        std::uint16_t size = 0;
        std::memcpy(&size, block, sizeof size);
        return scoped == std::string_view(block + sizeof size, size);
    }
    // Only reached when the 64-bit hashes are equal: a retry of the key, or (rarely) another key.
    const order_placed_view placed =
        order_store::placed_view(*reinterpret_cast<const order_store::entry*>(bits_ & ~1));
    const std::size_t c = placed.client.size();
    return scoped.size() == c + 1 + placed.idempotency_key.size() &&
           scoped.substr(0, c) == placed.client && scoped[c] == '\x1f' &&
           scoped.substr(c + 1) == placed.idempotency_key;
}

std::string_view key_table::key_bytes::view(std::string& scratch) const {
    if (bits_ == 0) return {};
    if ((bits_ & 1) == 0) {
        const char* block = reinterpret_cast<const char*>(bits_);
        std::uint16_t size = 0;
        std::memcpy(&size, block, sizeof size);
        return {block + sizeof size, size};
    }
    const order_placed_view placed =
        order_store::placed_view(*reinterpret_cast<const order_store::entry*>(bits_ & ~1));
    scratch.assign(placed.client).push_back('\x1f');
    scratch.append(placed.idempotency_key);
    return scratch;
}

key_table::key_table() : index_(initial_cells) {}
key_table::~key_table() = default;

std::uint64_t key_table::hash(std::string_view scoped_key) {
    return std::hash<std::string_view>{}(scoped_key);
}

std::size_t key_table::start_of(std::uint64_t h) const {
    return detail::cell_for(std::rotl(h, 24), index_.size());
}

std::size_t key_table::cell_of(std::string_view scoped_key, std::uint64_t h) const {
    const std::size_t n = index_.size();
    std::size_t i = start_of(h);
    while (index_[i].slot != empty &&
           (index_[i].hash != h || !slot_at(index_[i].slot).scoped.equals(scoped_key))) {
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
        if (c.slot == empty) continue;
        std::size_t i = start_of(c.hash);
        while (index_[i].slot != empty) {
            if (++i == n) i = 0;
        }
        index_[i] = c;
    }
}

key_entry* key_table::find(std::string_view scoped_key, std::uint64_t h) {
    const index_cell& c = index_[cell_of(scoped_key, h)];
    return c.slot == empty ? nullptr : &slot_at(c.slot).value;
}

key_entry& key_table::get_or_add(std::string_view scoped_key, std::uint64_t h,
                                 const order_store::entry* order) {
    // At most 3/4 full, so that probes stay short.
    if ((size_ + 1) * 4 > index_.size() * 3) rebuild_index(index_.size() * 2);
    const std::size_t cell = cell_of(scoped_key, h);
    if (index_[cell].slot != empty) {
        slot& s = slot_at(index_[cell].slot);
        if (order != nullptr) s.scoped.borrow(*order);
        return s.value;
    }
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
    if (order != nullptr) {
        s.scoped.borrow(*order);
    } else {
        s.scoped.copy(scoped_key);
    }
    s.hash = h;
    s.live = true;
    s.value = key_entry{};
    s.value.slot = i;
    index_[cell] = {h, i};
    ++size_;
    return s.value;
}

void key_table::bytes_from(key_entry& e, const order_store::entry& order) {
    slot_at(e.slot).scoped.borrow(order);
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
    const std::size_t n = index_.size();
    auto after = [n](std::size_t c) { return c + 1 == n ? 0 : c + 1; };
    // How many cells forward from `from` to `to`, around the end.
    auto distance = [n](std::size_t from, std::size_t to) {
        return to >= from ? to - from : to + n - from;
    };
    std::size_t hole = start_of(s.hash);
    while (index_[hole].slot != i) hole = after(hole);
    for (std::size_t next = after(hole); index_[next].slot != empty; next = after(next)) {
        const std::size_t home = start_of(index_[next].hash);
        // The entry at `next` may fill the hole unless its home lies cyclically in (hole, next].
        const bool home_after_hole = distance(home, next) < distance(hole, next);
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
