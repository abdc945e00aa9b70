#include "matching/detail/count_table.hpp"

#include <algorithm>
#include <utility>

#include "matching/assert.hpp"

namespace fg::matching::detail {

void count_table::add(std::uint64_t key, std::int64_t delta) {
    FG_ASSERT(key != no_key, "count_table keys leave no_key free");
    FG_ASSERT(delta > 0, "count_table::add only adds");
    std::size_t i = slots_.empty() ? 0 : probe(key);
    if (slots_.empty() || slots_[i].stored() != ~key) {
        // New key: grow first if needed, so the free slot found is in the table the key stays in.
        if ((used_ + 1) * 4 > slots_.size() * 3) {
            rebuild(slots_.empty() ? 16 : slots_.size() * 2);
            i = probe(key);
        }
        slots_[i].low = static_cast<std::uint32_t>(~key);
        slots_[i].high = static_cast<std::uint32_t>(~key >> 32);
        slots_[i].value = 0;
        ++used_;
    }
    count& c = slots_[i].value;
    c = static_cast<count>(std::min<std::int64_t>(std::int64_t{c} + delta, UINT32_MAX));
}

void count_table::reserve(std::size_t keys) {
    if (keys * 4 > slots_.size() * 3) rebuild(keys * 4 / 3 + 1);
}

void count_table::rebuild(std::size_t slots) {
    zeroed_array<slot> old = std::exchange(slots_, zeroed_array<slot>(slots));
    for (const slot& sl : old) {
        if (sl.stored() != 0) slots_[probe(~sl.stored())] = sl;
    }
}

}  // namespace fg::matching::detail
