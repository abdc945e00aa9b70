#pragma once

// The Idempotency-Keys a shard is home to, each with its stored answer. A flash sale remembers
// every key for a day and start-up rebuilds them all, so the table is flat: entries live in
// chunks that never move (a placement holds a pointer to its key's entry across asynchronous
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
    // stable until the key is forgotten.
    key_entry& get_or_add(std::string_view scoped_key, std::uint64_t h);
    // The entry was (re)claimed at `created_at_ms`: it is forgotten once that age passes the
    // retention, unless it is claimed again before.
    void aged(key_entry& e, std::int64_t created_at_ms);
    // Forgets every key created at or before `cutoff_ms` and not in flight.
    void forget_up_to(std::int64_t cutoff_ms);

    std::size_t size() const { return size_; }

    // Every key with its entry, in no particular order.
    template <class Fn>
    void for_each(Fn&& fn) const {
        for (std::size_t i = 0; i < used_; ++i) {
            const slot& s = slot_at(i);
            if (s.live) fn(s.scoped.view(), s.value);
        }
    }

 private:
    // A key's bytes: inside the slot when they fit (the usual "client \x1f uuid"), else on the
    // heap. No allocation per key in a sale.
    class key_bytes {
     public:
        void assign(std::string_view s);
        void clear();
        std::string_view view() const { return {heap_ ? heap_.get() : inline_, size_}; }

     private:
        static constexpr std::size_t inline_max = 48;
        char inline_[inline_max];
        std::unique_ptr<char[]> heap_;
        std::uint16_t size_ = 0;
    };
    struct slot {
        key_entry value;
        key_bytes scoped;
        std::uint64_t hash = 0;
        std::uint32_t generation = 0;  // counts reuses, so a stale age never forgets a new key
        bool live = false;
    };
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
    std::size_t cell_of(std::string_view scoped_key, std::uint64_t h) const;
    void grow_index();
    void erase(std::uint32_t i);

    std::vector<std::unique_ptr<slot[]>> chunks_;  // slots never move
    std::vector<std::uint32_t> free_;              // slots to reuse
    std::size_t used_ = 0;                         // slots ever handed out
    std::size_t size_ = 0;                         // live keys
    std::vector<index_cell> index_;                // power-of-two size, linear probing
    std::deque<age> ages_;                         // creation order (one retention for all)
};

}  // namespace fg::matching
