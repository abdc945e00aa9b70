#pragma once

// A flat open-addressing map from a 64-bit key to a 64-bit count: one array of (key, count)
// pairs, linear probing, at most 5/8 full, doubled when it would be fuller. reserve() sizes it
// for what it will hold (any size, not only a power of two), so that a replay that knows
// roughly how many keys are coming does not write every smaller table on the way.
// Keys are never removed: a count of 0 stays in place and means the same as no entry, so the
// table needs no tombstones. One key value (`no_key`) is reserved: a slot keeps its key's
// complement, so a free slot is all zero bytes and a new table needs no writing
// (zeroed_array).

#include <cstdint>

#include "matching/detail/byte_hash.hpp"
#include "matching/detail/prefetch.hpp"
#include "matching/detail/zeroed_array.hpp"

namespace fg::matching::detail {

// Owned by one object and touched by its owner's thread only.
class count_table {
 public:
    static constexpr std::uint64_t no_key = UINT64_MAX;

    // The count stored for `key`, or null if it was never inserted. Valid until the next insert.
    std::int64_t* find(std::uint64_t key) {
        if (slots_.empty()) return nullptr;
        slot& sl = slots_[probe(key)];
        return sl.key == ~key ? &sl.count : nullptr;
    }
    std::int64_t get(std::uint64_t key) const {
        if (slots_.empty()) return 0;
        const slot& sl = slots_[probe(key)];
        return sl.key == ~key ? sl.count : 0;
    }
    // The count for `key`, inserted at 0 if new. Valid until the next insert.
    std::int64_t& at(std::uint64_t key);

    // Starts loading the slot where a lookup of `key` begins; changes nothing.
    void prefetch(std::uint64_t key) const {
        if (!slots_.empty()) detail::prefetch(&slots_[cell_for(hash_u64(key), slots_.size())]);
    }

    // Room for `keys` keys in all without growing.
    void reserve(std::size_t keys);

    std::size_t size() const { return used_; }
    std::size_t capacity() const { return slots_.size() * 5 / 8; }

 private:
    struct slot {
        std::uint64_t key;  // the key's complement: 0 (~no_key) when free
        std::int64_t count;
    };

    // The slot holding `key`, or the free slot where it would go.
    std::size_t probe(std::uint64_t key) const {
        const std::size_t n = slots_.size();
        std::size_t i = cell_for(hash_u64(key), n);
        while (slots_[i].key != ~key && slots_[i].key != 0) {
            if (++i == n) i = 0;
        }
        return i;
    }
    void rebuild(std::size_t slots);

    zeroed_array<slot> slots_;
    std::size_t used_ = 0;
};

}  // namespace fg::matching::detail
