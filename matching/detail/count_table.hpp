#pragma once

// A flat open-addressing map from a 64-bit key to a 64-bit count: one array of (key, count)
// pairs, power-of-two size, linear probing, at most 5/8 full, doubled when it would be fuller.
// Keys are never removed: a count of 0 stays in place and means the same as no entry, so the
// table needs no tombstones. One key value (`no_key`) is reserved to mark free slots.

#include <cstdint>
#include <vector>

#include "matching/detail/byte_hash.hpp"
#include "matching/detail/table_allocator.hpp"

namespace fg::matching::detail {

// Owned by one object and touched by its owner's thread only.
class count_table {
 public:
    static constexpr std::uint64_t no_key = UINT64_MAX;

    // The count stored for `key`, or null if it was never inserted. Valid until the next insert.
    std::int64_t* find(std::uint64_t key) {
        if (slots_.empty()) return nullptr;
        slot& sl = slots_[probe(key)];
        return sl.key == key ? &sl.count : nullptr;
    }
    std::int64_t get(std::uint64_t key) const {
        if (slots_.empty()) return 0;
        const slot& sl = slots_[probe(key)];
        return sl.key == key ? sl.count : 0;
    }
    // The count for `key`, inserted at 0 if new. Valid until the next insert.
    std::int64_t& at(std::uint64_t key);

    std::size_t size() const { return used_; }

 private:
    struct slot {
        std::uint64_t key = no_key;
        std::int64_t count = 0;
    };

    // The slot holding `key`, or the free slot where it would go.
    std::size_t probe(std::uint64_t key) const {
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = hash_u64(key) & mask;
        while (slots_[i].key != key && slots_[i].key != no_key) i = (i + 1) & mask;
        return i;
    }
    void grow();

    std::vector<slot, table_allocator<slot>> slots_;
    std::size_t used_ = 0;
};

}  // namespace fg::matching::detail
