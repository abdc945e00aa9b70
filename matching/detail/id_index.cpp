#include "matching/detail/id_index.hpp"

#include "matching/assert.hpp"

namespace fg::matching::detail {

std::uint32_t id_index::insert(std::uint64_t id, std::uint32_t pos) {
    FG_ASSERT(pos != 0, "id_index positions start at 1");
    const std::uint64_t number = id >> 8;
    const bool far = far_.size() != 0 && far_.get(id) != 0;
    if (number < number_max && !far) {
        auto& pages = homes_[id & 0xff];
        const std::size_t page = number / page_cells;
        if (page < pages.size() && pages[page]) {
            std::uint32_t& cell = pages[page][number % page_cells];
            if (cell != 0) return cell;
            cell = pos;
            ++in_pages_;
            return 0;
        }
        // A new page only while the pages stay a quarter full on average, counting the new one
        // as full: the shards' ids fill their pages, scattered ids go to the table.
        if ((pages_ + 1) * page_cells <= 4 * (in_pages_ + page_cells)) {
            if (page >= pages.size()) pages.resize(page + 1);
            pages[page] = std::make_unique<std::uint32_t[]>(page_cells);
            pages[page][number % page_cells] = pos;
            ++pages_;
            ++in_pages_;
            return 0;
        }
    }
    if (const count_table::count* cell = far_.find(id); cell != nullptr && *cell != 0) return *cell;
    far_.add(id, pos);
    return 0;
}

}  // namespace fg::matching::detail
