#pragma once

// The Idempotency-Keys a shard is home to, each with its stored answer. A flash sale remembers
// every key for a day and start-up rebuilds them all, so the table is flat and a key that
// created an order keeps no copy of its bytes (they are in the order's placement): entries live
// in chunks that never move (a placement holds a pointer to its key's entry across asynchronous
// steps) and are found through one open-addressing index of 64-bit hashes. Keys are forgotten
// oldest first, from a FIFO of creation times: no scan.
//
// Shard-local: touched only by the shard's own thread (or by replay, before any thread runs).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "matching/order.hpp"
#include "matching/order_store.hpp"
#include "matching/outcome.hpp"

namespace fg::matching {

// A refusal's details, which most keys lack.
struct stored_refusal {
    std::string refused_sku;
    std::string request_id;
};

// An Idempotency-Key's stored answer: the order it created, or the refusal it got.
struct key_entry {
    std::uint64_t order_id = 0;  // 0 while in flight, when refused, or when vacant
    std::int64_t created_at_ms = 0;
    std::unique_ptr<stored_refusal> refused;
    body_digest digest{};
    std::uint32_t slot = 0;  // where key_table keeps it (set by the table)
    bool in_flight = true;
    outcome refusal = outcome::ok;  // with order_id == 0 and !in_flight: ok = vacant
    // A transient refusal keeps nothing: the entry stays, vacant, until its age comes up.
    bool vacant() const { return !in_flight && order_id == 0 && refusal == outcome::ok; }
};

class key_table {
 public:
    key_table();
    ~key_table();
    key_table(const key_table&) = delete;
    key_table& operator=(const key_table&) = delete;

    static std::uint64_t hash(std::string_view scoped_key);

    // The entry of `scoped_key` ("client \x1f key"), or null. `h` is hash(scoped_key).
    key_entry* find(std::string_view scoped_key, std::uint64_t h);
    // The entry of `scoped_key`, a new one (default state) if there is none. Its address is
    // stable until the key is forgotten. With `order` (the kept order this key created, here at
    // the key's home), the key's bytes are read from that order's placement from now on, which
    // holds the same client and key, instead of a copy (see bytes_from).
    key_entry& get_or_add(std::string_view scoped_key, std::uint64_t h,
                          const order_store::entry* order = nullptr);
    // The key of `e` created `order`, now kept at this shard: its bytes are read from the
    // order's placement from now on and its own copy is freed.
    void bytes_from(key_entry& e, const order_store::entry& order);
    // The entry was (re)claimed at `created_at_ms`: it is forgotten once that age passes the
    // retention, unless it is claimed again before.
    void aged(key_entry& e, std::int64_t created_at_ms);
    // Forgets every key created at or before `cutoff_ms` and not in flight.
    void forget_up_to(std::int64_t cutoff_ms);

    // Room for `keys` keys in all without growing the index (replay sizes it from the log).
    void reserve(std::size_t keys);

    std::size_t size() const { return size_; }

    // Every key with its entry, in no particular order.
    template <class Fn>
    void for_each(Fn&& fn) const {
        std::string scratch;
        for (std::size_t i = 0; i < used_; ++i) {
            const slot& s = slot_at(i);
            if (s.live) fn(s.scoped.view(scratch), s.value);
        }
    }

 private:
    // Where a key's bytes ("client \x1f key") are: in the placement of the order the key created
    // (kept at this shard, so it outlives the key: M11), or, for a key without one (in flight,
    // refused, or its order kept at another shard), in a copy on the heap. Eight bytes in the
    // slot; a sale's keys all name orders, so replay copies none.
    class key_bytes {
     public:
        key_bytes() = default;
        key_bytes(const key_bytes&) = delete;
        key_bytes& operator=(const key_bytes&) = delete;
        ~key_bytes() { clear(); }

        void copy(std::string_view scoped);
        void borrow(const order_store::entry& order);
        void clear();
        bool equals(std::string_view scoped) const;
        // The key; put together in `scratch` when it lives in a placement.
        std::string_view view(std::string& scratch) const;

     private:
        // 0: none. Low bit set: the order_store::entry. Else: a heap block, its size (uint16)
        // then the bytes.
        std::uintptr_t bits_ = 0;
    };
    struct slot {
        key_entry value;
        key_bytes scoped;
        std::uint64_t hash = 0;
        std::uint32_t generation = 0;  // counts reuses, so a stale age never forgets a new key
        bool live = false;
    };
    static_assert(sizeof(slot) == 72);
    struct index_cell {
        std::uint64_t hash = 0;
        std::uint32_t slot = empty;  // empty: unused cell
    };
    struct age {
        std::int64_t created_at_ms;
        std::uint32_t slot;
        std::uint32_t generation;
    };
    static constexpr std::uint32_t empty = ~std::uint32_t{0};
    static constexpr std::size_t slots_per_chunk = std::size_t{1} << 12;

    const slot& slot_at(std::size_t i) const {
        return chunks_[i / slots_per_chunk][i % slots_per_chunk];
    }
    slot& slot_at(std::size_t i) { return chunks_[i / slots_per_chunk][i % slots_per_chunk]; }
    // Where `h` starts probing. The bits that chose the key's home shard (engine::key_home_of
    // reads from bit 40 up) are the same for every key of a shard, so they go last.
    std::size_t start_of(std::uint64_t h) const;
    std::size_t cell_of(std::string_view scoped_key, std::uint64_t h) const;
    void rebuild_index(std::size_t cells);
    void erase(std::uint32_t i);

    std::vector<std::unique_ptr<slot[]>> chunks_;  // slots never move
    std::vector<std::uint32_t> free_;              // slots to reuse
    std::size_t used_ = 0;                         // slots ever handed out
    std::size_t size_ = 0;                         // live keys
    std::vector<index_cell> index_;                // linear probing, at most 3/4 full
    std::deque<age> ages_;                         // creation order (one retention for all)
};

}  // namespace fg::matching
