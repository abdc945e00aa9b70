#include "matching/detail/count_table.hpp"

#include <utility>

#include "matching/assert.hpp"

namespace fg::matching::detail {

std::int64_t& count_table::at(std::uint64_t key) {
    FG_ASSERT(key != no_key, "count_table keys leave no_key free");
    if (!slots_.empty()) {
        slot& sl = slots_[probe(key)];
        if (sl.key == ~key) return sl.count;
    }
    // New key: grow first if needed, so the free slot found is in the table the key stays in.
    if ((used_ + 1) * 8 > slots_.size() * 5) rebuild(slots_.empty() ? 16 : slots_.size() * 2);
    slot& sl = slots_[probe(key)];
    sl.key = ~key;
    sl.count = 0;
    ++used_;
    return sl.count;
}

void count_table::reserve(std::size_t keys) {
    if (keys * 8 > slots_.size() * 5) rebuild(keys * 8 / 5 + 1);
}

void count_table::rebuild(std::size_t slots) {
    zeroed_array<slot> old = std::exchange(slots_, zeroed_array<slot>(slots));
    for (const slot& sl : old) {
        if (sl.key != 0) slots_[probe(~sl.key)] = sl;
    }
}

}  // namespace fg::matching::detail
