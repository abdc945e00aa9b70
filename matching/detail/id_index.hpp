#pragma once

// Order id -> a 32-bit position (0: none). An order id is (number << 8) | home shard, and each
// shard numbers its orders 1, 2, 3, ... (shard.cpp, next_order_id; one jump per restart), so
// the index keeps, per home byte, an array of 4096-cell pages found by the number. Orders come
// in number order, so a replay fills the pages front to back: 4 bytes an order, no hashing, no
// random access, nothing rebuilt on growth. Ids that would leave the pages mostly empty (numbers
// far apart, as no shard makes them, or past 2^32) go to a flat table instead, so memory stays
// within a few times 4 bytes an id whatever the ids are.
//
// Owned by one object and touched by its owner's thread only.

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "matching/detail/count_table.hpp"

namespace fg::matching::detail {

class id_index {
 public:
    std::uint32_t get(std::uint64_t id) const {
        if (const std::uint32_t* cell = find_cell(id); cell != nullptr && *cell != 0) return *cell;
        return far_.size() == 0 ? 0 : static_cast<std::uint32_t>(far_.get(id));
    }
    // Gives `id` the position `pos` (!= 0) if it has none and returns 0; else changes nothing
    // and returns the position it has. One lookup for "find, else add".
    std::uint32_t insert(std::uint64_t id, std::uint32_t pos);

    std::size_t pages() const { return pages_; }  // of page_cells cells each
    static constexpr std::size_t page_cells = std::size_t{1} << 12;

 private:
    static constexpr std::uint64_t number_max = std::uint64_t{1} << 32;

    // The cell of `id` in a page that exists, or null.
    const std::uint32_t* find_cell(std::uint64_t id) const {
        const std::uint64_t number = id >> 8;
        if (number >= number_max) return nullptr;
        const auto& pages = homes_[id & 0xff];
        const std::size_t page = number / page_cells;
        return page < pages.size() && pages[page] ? &pages[page][number % page_cells] : nullptr;
    }

    std::array<std::vector<std::unique_ptr<std::uint32_t[]>>, 256> homes_;  // by the id's low byte
    std::size_t pages_ = 0;     // pages made, over all homes
    std::size_t in_pages_ = 0;  // ids kept in them
    count_table far_;           // the rest
};

}  // namespace fg::matching::detail
