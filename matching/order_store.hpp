#pragma once

// Where a shard keeps the orders it is home to. A sale keeps millions of them and start-up
// rebuilds them all, so an order is stored the way it was logged: its order_placed payload,
// byte for byte, in an append-only arena, beside the few fields that change after placement
// (status, hold, last update, the steps since). The full `order` is decoded only when someone
// asks for it. Ids are found by their number (detail::id_index): no hashing, and replay fills
// the index front to back.
//
// Shard-local: touched only by the shard's own thread (or by replay, before any thread runs).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <vector>

#include "matching/detail/id_index.hpp"
#include "matching/event_codec.hpp"
#include "matching/order.hpp"

namespace fg::matching {

class order_store {
 public:
    // An order's steps after its placement: a block in the store's arena with room for
    // `capacity` steps, replaced by one twice its size when full (the arena keeps the old one
    // until the store goes: orders are never removed). One step, the usual case after a sale,
    // costs 56 bytes and no allocation of its own.
    struct step_list {
        std::uint32_t size = 0;
        std::uint32_t capacity = 0;
        transition* items() { return std::launder(reinterpret_cast<transition*>(this + 1)); }
        const transition* items() const {
            return std::launder(reinterpret_cast<const transition*>(this + 1));
        }
    };
    static_assert(sizeof(step_list) % alignof(transition) == 0);

    // What changes after placement, and where the placement is.
    // The id, creation time and first hold are read from the placement, the last update and a
    // later hold from the steps: a sale keeps millions of entries, 24 bytes each.
    struct entry {
        const std::byte* placement_at = nullptr;  // in the arena, or where replay found it
        std::uint32_t placement_size = 0;
        order_status status = order_status::pending_payment;
        // Its hold lapses by the shard's walk over replayed orders, not by a timer
        // (shard::walk_holds).
        bool walked = false;
        // Every logged step after the placement; most orders of a sale have none, so the list
        // is out of line, in the store's arena.
        step_list* later = nullptr;

        std::span<const transition> moves() const {
            return later ? std::span<const transition>(later->items(), later->size)
                         : std::span<const transition>();
        }
        std::size_t history_size() const { return 1 + moves().size(); }
    };

    static_assert(sizeof(entry) == 24);

    order_store();
    ~order_store();
    order_store(const order_store&) = delete;
    order_store& operator=(const order_store&) = delete;

    // Keeps an order from its order_placed payload, which the caller has decoded (so it is
    // known to be well formed). Null, and nothing kept, if the id is already there. The payload
    // is copied into the arena, unless `in_place`: the caller then guarantees that its bytes
    // outlive the store (replay from a mapped log, engine::replay_in_place).
    entry* insert(std::uint64_t id, order_status status, std::span<const std::byte> placement,
                  bool in_place = false);

    entry* find(std::uint64_t id);
    const entry* find(std::uint64_t id) const;
    // find() for an id that must be there (a reference held across an asynchronous step).
    entry& at(std::uint64_t id);

    // The order as it is now: the placement decoded, then every step after it.
    order materialize(const entry& e) const;
    // The order as it was placed (what a replayed Idempotency-Key answers).
    order as_placed(const entry& e) const;
    // The placement read in place, without allocating (M13: it always decodes).
    static order_placed_view placed_view(const entry& e);
    // The order's id, read from its placement without decoding the rest.
    static std::uint64_t id_of(const entry& e) {
        return order_placed_id({e.placement_at, e.placement_size});
    }
    // When the order's hold lapses (0: it has none): the last step that set one, else the
    // placement's, read without decoding the rest.
    static std::int64_t hold_expires_at(const entry& e);
    // The order_placed payload exactly as it was logged.
    std::span<const std::byte> placement(const entry& e) const;

    // Applies a logged step to the stored state (not to the stock).
    void apply(entry& e, const transition& step);

    std::size_t size() const { return size_; }
    // The number of the order kept last (its n for nth()); size() must be > 0.
    std::uint32_t newest() const { return static_cast<std::uint32_t>(size_ - 1); }

    // The n-th order kept (n < size()).
    const entry& nth(std::size_t n) const { return slot(n); }
    entry& nth(std::size_t n) { return slot(n); }

    // Every order, in the order they were kept.
    template <class Fn>
    void for_each(Fn&& fn) const {
        for (std::size_t i = 0; i < size_; ++i) fn(slot(i));
    }

 private:
    static constexpr std::size_t entries_per_chunk = std::size_t{1} << 12;
    static constexpr std::size_t arena_chunk_bytes = std::size_t{1} << 20;

    const entry& slot(std::size_t i) const {
        return entries_[i / entries_per_chunk][i % entries_per_chunk];
    }
    entry& slot(std::size_t i) { return entries_[i / entries_per_chunk][i % entries_per_chunk]; }
    const std::byte* copy_in(std::span<const std::byte> bytes);
    // `bytes` from the arena, at a multiple of `align`.
    std::byte* take(std::size_t bytes, std::size_t align);

    std::vector<std::unique_ptr<entry[]>> entries_;  // chunks: entries never move
    std::size_t size_ = 0;
    detail::id_index index_;                           // id -> its slot, plus 1
    std::vector<std::unique_ptr<std::byte[]>> arena_;  // placements copied in, and step lists
    std::size_t arena_used_ = arena_chunk_bytes;       // of the newest chunk: none yet
};

}  // namespace fg::matching
