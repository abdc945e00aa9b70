#include "matching/order_store.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

#include "matching/assert.hpp"
#include "matching/event_codec.hpp"

namespace fg::matching {

order_store::order_store() = default;

order_store::~order_store() {
    for (std::size_t i = 0; i < size_; ++i) {
        step_list* steps = slot(i).later;
        if (steps == nullptr) continue;
        std::destroy_n(steps->items(), steps->size);
    }
}

std::byte* order_store::take(std::size_t bytes, std::size_t align) {
    FG_ASSERT(bytes <= arena_chunk_bytes, "M13 (what the store keeps fits an arena chunk)");
    std::size_t at = (arena_used_ + align - 1) / align * align;
    if (at > arena_chunk_bytes || arena_chunk_bytes - at < bytes) {
        // new[] aligns a chunk for any fundamental type.
        arena_.push_back(std::make_unique_for_overwrite<std::byte[]>(arena_chunk_bytes));
        at = 0;
    }
    arena_used_ = at + bytes;
    return arena_.back().get() + at;
}

const std::byte* order_store::copy_in(std::span<const std::byte> bytes) {
    std::byte* at = take(bytes.size(), 1);
    std::memcpy(at, bytes.data(), bytes.size());
    return at;
}

order_store::entry* order_store::insert(std::uint64_t id, order_status status,
                                        std::span<const std::byte> placement, bool in_place) {
    FG_ASSERT(id != 0 && id != ~std::uint64_t{0}, "M13 (order ids are never 0 or ~0)");
    FG_ASSERT(size_ < UINT32_MAX, "M13 (a shard keeps fewer than 2^32 orders)");
    FG_ASSERT(order_placed_id(placement) == id, "M13 (an order is kept under its placed id)");
    // The entry comes next, at slot size_, and cannot fail: claim the id for it first.
    if (index_.insert(id, static_cast<std::uint32_t>(size_ + 1)) != 0) return nullptr;
    if (size_ % entries_per_chunk == 0) {
        entries_.push_back(std::make_unique<entry[]>(entries_per_chunk));
    }
    entry& e = slot(size_);
    e.status = status;
    e.placement_size = static_cast<std::uint32_t>(placement.size());
    e.placement_at = in_place ? placement.data() : copy_in(placement);
    ++size_;
    return &e;
}

order_store::entry* order_store::find(std::uint64_t id) {
    const std::uint32_t pos = index_.get(id);
    return pos == 0 ? nullptr : &slot(pos - 1);
}

const order_store::entry* order_store::find(std::uint64_t id) const {
    const std::uint32_t pos = index_.get(id);
    return pos == 0 ? nullptr : &slot(pos - 1);
}

order_store::entry& order_store::at(std::uint64_t id) {
    entry* e = find(id);
    FG_ASSERT(e != nullptr, "M11 (an order being moved is kept)");
    return *e;
}

std::int64_t order_store::hold_expires_at(const entry& e) {
    const std::span<const transition> steps = e.moves();
    for (auto step = steps.rbegin(); step != steps.rend(); ++step) {
        if (step->hold_expires_at_ms != 0) return step->hold_expires_at_ms;
    }
    return order_placed_hold_expires_at({e.placement_at, e.placement_size});
}

std::span<const std::byte> order_store::placement(const entry& e) const {
    return {e.placement_at, e.placement_size};
}

order order_store::as_placed(const entry& e) const {
    order o;
    const bool decoded = decode(placement(e), o);
    FG_ASSERT(decoded, "M13 (a kept placement decodes: it was checked when kept)");
    return o;
}

order_placed_view order_store::placed_view(const entry& e) {
    order_placed_view v;
    const bool decoded = decode({e.placement_at, e.placement_size}, v);
    FG_ASSERT(decoded, "M13 (a kept placement decodes: it was checked when kept)");
    return v;
}

order order_store::materialize(const entry& e) const {
    order o = as_placed(e);
    o.status = e.status;
    o.hold_expires_at_ms = hold_expires_at(e);
    if (!e.moves().empty()) o.updated_at_ms = e.moves().back().at_ms;  // else the creation
    o.history.insert(o.history.end(), e.moves().begin(), e.moves().end());
    return o;
}

void order_store::apply(entry& e, const transition& step) {
    e.status = step.to;
    step_list* steps = e.later;
    if (steps == nullptr || steps->size == steps->capacity) {
        const std::uint32_t capacity = steps == nullptr ? 1 : steps->capacity * 2;
        std::byte* at = take(sizeof(step_list) + capacity * sizeof(transition),
                             std::max(alignof(step_list), alignof(transition)));
        auto* grown = new (at) step_list{.size = 0, .capacity = capacity};
        if (steps != nullptr) {
            std::uninitialized_move_n(steps->items(), steps->size, grown->items());
            std::destroy_n(steps->items(), steps->size);
            grown->size = steps->size;
        }
        e.later = steps = grown;
    }
    new (steps->items() + steps->size) transition(step);
    ++steps->size;
}

}  // namespace fg::matching
