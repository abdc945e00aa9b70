#pragma once

// A flat open-addressing map from a 64-bit key to an unsigned 32-bit count: one array of 12-byte
// (key, count) slots, linear probing, at most 3/4 full, doubled when it would be fuller.
// reserve() sizes it for what it will hold (any size, not only a power of two), so that a
// replay that knows roughly how many keys are coming does not write every smaller table on the
// way. Keys are never removed: a count of 0 stays in place and means the same as no entry, so
// the table needs no tombstones. One key value (`no_key`) is reserved: a slot keeps its key's
// complement, so a free slot is all zero bytes and a new table needs no writing
// (zeroed_array).
//
// The inventory counts a buyer's held and sold units of one SKU, which never exceed the SKU's
// stock (limits::stock_max, 10^9), so 32 bits hold every count; add() stops at the largest
// rather than wrap should a damaged log ever add more (start-up then refuses it, M1). The id
// index keeps order positions (below 2^32) here too.

#include <cstdint>

#include "matching/detail/byte_hash.hpp"
#include "matching/detail/prefetch.hpp"
#include "matching/detail/zeroed_array.hpp"

namespace fg::matching::detail {

// Owned by one object and touched by its owner's thread only.
class count_table {
 public:
    static constexpr std::uint64_t no_key = UINT64_MAX;
    using count = std::uint32_t;

    // The count stored for `key`, or null if it was never inserted. Valid until the next insert.
    count* find(std::uint64_t key) {
        if (slots_.empty()) return nullptr;
        slot& sl = slots_[probe(key)];
        return sl.stored() == ~key ? &sl.value : nullptr;
    }
    std::int64_t get(std::uint64_t key) const {
        if (slots_.empty()) return 0;
        const slot& sl = slots_[probe(key)];
        return sl.stored() == ~key ? sl.value : 0;
    }
    // Adds `delta` (> 0) to the count for `key`, inserting it at 0 if new.
    void add(std::uint64_t key, std::int64_t delta);

    // Starts loading the slot where a lookup of `key` begins; changes nothing.
    void prefetch(std::uint64_t key) const {
        if (!slots_.empty()) detail::prefetch(&slots_[cell_for(hash_u64(key), slots_.size())]);
    }

    // Room for `keys` keys in all without growing.
    void reserve(std::size_t keys);

    std::size_t size() const { return used_; }
    std::size_t capacity() const { return slots_.size() * 3 / 4; }

 private:
    // 4-byte fields only, so that a slot is 12 bytes: five and a third to a cache line.
    struct slot {
        std::uint32_t low;  // the key's complement in two halves: both 0 when free
        std::uint32_t high;
        count value;
        std::uint64_t stored() const { return std::uint64_t{high} << 32 | low; }
    };
    static_assert(sizeof(slot) == 12);

    // The slot holding `key`, or the free slot where it would go.
    std::size_t probe(std::uint64_t key) const {
        const std::size_t n = slots_.size();
        const std::uint64_t want = ~key;
        std::size_t i = cell_for(hash_u64(key), n);
        while (slots_[i].stored() != want && slots_[i].stored() != 0) {
            if (++i == n) i = 0;
        }
        return i;
    }
    void rebuild(std::size_t slots);

    zeroed_array<slot> slots_;
    std::size_t used_ = 0;
};

}  // namespace fg::matching::detail
