#include "matching/order_store.hpp"

#include <cstring>

#include "matching/assert.hpp"
#include "matching/event_codec.hpp"

namespace fg::matching {
namespace {

// Ids are (sequence << 8) | shard: a multiply spreads them over the table, and the high bits
// of the product are the well-mixed ones.
std::size_t mix(std::uint64_t id, std::size_t mask) {
    return static_cast<std::size_t>((id * 0x9e3779b97f4a7c15ull) >> 29) & mask;
}

constexpr std::size_t initial_cells = 1024;

}  // namespace

order_store::order_store() : index_(initial_cells) {}
order_store::~order_store() = default;

std::size_t order_store::cell_of(std::uint64_t id) const {
    const std::size_t mask = index_.size() - 1;
    std::size_t i = mix(id, mask);
    while (index_[i].id != 0 && index_[i].id != id) i = (i + 1) & mask;
    return i;
}

void order_store::grow_index() {
    std::vector<index_cell> old(index_.size() * 2);
    old.swap(index_);
    const std::size_t mask = index_.size() - 1;
    for (const index_cell& c : old) {
        if (c.id == 0) continue;
        std::size_t i = mix(c.id, mask);
        while (index_[i].id != 0) i = (i + 1) & mask;
        index_[i] = c;
    }
}

std::uint64_t order_store::copy_in(std::span<const std::byte> bytes) {
    FG_ASSERT(bytes.size() <= arena_chunk_bytes, "M13 (a kept placement fits an arena chunk)");
    if (arena_chunk_bytes - arena_used_ < bytes.size()) {
        arena_.push_back(std::make_unique_for_overwrite<std::byte[]>(arena_chunk_bytes));
        arena_used_ = 0;
    }
    const std::uint64_t at = (static_cast<std::uint64_t>(arena_.size() - 1) << 32) | arena_used_;
    std::memcpy(arena_.back().get() + arena_used_, bytes.data(), bytes.size());
    arena_used_ += bytes.size();
    return at;
}

order_store::entry* order_store::insert(std::uint64_t id, order_status status,
                                        std::int64_t created_at_ms, std::int64_t hold_expires_at_ms,
                                        std::span<const std::byte> placement) {
    FG_ASSERT(id != 0, "M13 (order ids are never 0)");
    // At most 3/4 full, so that probes stay short.
    if ((size_ + 1) * 4 > index_.size() * 3) grow_index();
    const std::size_t cell = cell_of(id);
    if (index_[cell].id == id) return nullptr;
    if (size_ % entries_per_chunk == 0) {
        entries_.push_back(std::make_unique<entry[]>(entries_per_chunk));
    }
    entry& e = slot(size_);
    e.id = id;
    e.status = status;
    e.hold_expires_at_ms = hold_expires_at_ms;
    e.updated_at_ms = created_at_ms;
    e.placement_size = static_cast<std::uint32_t>(placement.size());
    e.placement_at = copy_in(placement);
    index_[cell] = {id, static_cast<std::uint32_t>(size_)};
    ++size_;
    return &e;
}

order_store::entry* order_store::find(std::uint64_t id) {
    if (id == 0) return nullptr;
    const index_cell& c = index_[cell_of(id)];
    return c.id == id ? &slot(c.slot) : nullptr;
}

const order_store::entry* order_store::find(std::uint64_t id) const {
    if (id == 0) return nullptr;
    const index_cell& c = index_[cell_of(id)];
    return c.id == id ? &slot(c.slot) : nullptr;
}

order_store::entry& order_store::at(std::uint64_t id) {
    entry* e = find(id);
    FG_ASSERT(e != nullptr, "M11 (an order being moved is kept)");
    return *e;
}

std::span<const std::byte> order_store::placement(const entry& e) const {
    return {arena_[e.placement_at >> 32].get() + (e.placement_at & 0xffffffffu), e.placement_size};
}

order order_store::materialize(const entry& e) const {
    order o;
    const bool decoded = decode(placement(e), o);
    FG_ASSERT(decoded, "M13 (a kept placement decodes: it was checked when kept)");
    o.status = e.status;
    o.hold_expires_at_ms = e.hold_expires_at_ms;
    o.updated_at_ms = e.updated_at_ms;
    o.history.insert(o.history.end(), e.moves().begin(), e.moves().end());
    return o;
}

void order_store::apply(entry& e, const transition& step) {
    e.status = step.to;
    e.updated_at_ms = step.at_ms;
    if (step.hold_expires_at_ms != 0) e.hold_expires_at_ms = step.hold_expires_at_ms;
    if (!e.later) e.later = std::make_unique<std::vector<transition>>();
    e.later->push_back(step);
}

}  // namespace fg::matching
