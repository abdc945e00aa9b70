#pragma once

// The Idempotency-Keys a shard is home to, each with its stored answer. A flash sale remembers
// every key for a day and start-up rebuilds them all, so the table is flat, and a key that
// created an order kept at this shard costs no more than its index cell: its bytes, digest and
// order are that order's placement. Other keys (in flight, refused, vacant, or whose order
// lives at another shard after a change of shard count) have an entry of their own, in chunks
// that never move (a placement holds a pointer to its key's entry across asynchronous steps).
// Both are found through one open-addressing index of 8-byte cells: 32 bits of the key's hash,
// which place the cell and tell most keys apart, and the number of its order or entry. Keys are
// forgotten oldest first, with no scan: those with an entry from a FIFO of creation times, those
// that read from their orders by walking the order store in the order its orders were kept.
//
// Shard-local: touched only by the shard's own thread (or by replay, before any thread runs).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "matching/detail/prefetch.hpp"
#include "matching/detail/zeroed_array.hpp"
#include "matching/order.hpp"
#include "matching/order_store.hpp"
#include "matching/outcome.hpp"

namespace fg::matching {

// A refusal's details, which most keys lack.
struct stored_refusal {
    std::string refused_sku;
    std::string request_id;
};

// The stored answer of an Idempotency-Key that has no order here: in flight, or refused, or
// vacant, or (rarely) its order kept at another shard.
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

// What a lookup finds: the key's own entry, or the kept order it created (M11), or neither.
struct key_found {
    key_entry* entry = nullptr;
    const order_store::entry* order = nullptr;
};

class key_table {
 public:
    // `orders`: the store of the same shard, which the keys that read from their orders name.
    explicit key_table(const order_store& orders);
    ~key_table();
    key_table(const key_table&) = delete;
    key_table& operator=(const key_table&) = delete;

    static std::uint64_t hash(std::string_view scoped_key);
    // Writes the scoped form of `key`, "client \x1f key", into `out` (reused by the caller, so
    // no allocation once it is long enough): keys of different clients never meet.
    static constexpr char scope_separator = '\x1f';
    static void scope(std::string& out, std::string_view client, std::string_view key) {
        out.assign(client).push_back(scope_separator);
        out.append(key);
    }

    // Where `scoped_key` ("client \x1f key") stands. `h` is hash(scoped_key).
    key_found find(std::string_view scoped_key, std::uint64_t h);
    // The entry of `scoped_key`, a new one (default state) if there is none. Its address is
    // stable until the key is forgotten or names_order() is called. A key that reads from its
    // order is never claimed again live (find() says so first); in replay, a later record of
    // the key replaces that answer with the new entry.
    key_entry& get_or_add(std::string_view scoped_key, std::uint64_t h);
    // The key of `e` created the order numbered `order` (order_store::newest()), now kept at
    // this shard and placed with this key: the key reads from the order from now on, and is
    // forgotten by the order's creation time. `e`'s entry is freed (the caller drops its
    // pointer).
    void names_order(key_entry& e, std::uint32_t order);
    // Replay: `scoped_key` created the order numbered `order`, kept at this shard. Replaces what
    // the table held for the key (a later record states the key's latest answer).
    void keep_order(std::string_view scoped_key, std::uint64_t h, std::uint32_t order);
    // The entry was (re)claimed at `created_at_ms`: it is forgotten once that age passes the
    // retention, unless it is claimed again before.
    void aged(key_entry& e, std::int64_t created_at_ms);
    // Forgets every key created at or before `cutoff_ms` and not in flight. A key that reads
    // from its order goes when the walk over the store reaches an order created after the
    // cutoff: orders are kept in about the order they were created, so a key may outlive its
    // cutoff by the few milliseconds an order placed just before it took longer to commit. The
    // walk reads at most 65,536 orders per call (the shard calls this every 100 ms).
    void forget_up_to(std::int64_t cutoff_ms);

    // Starts loading the index cell where a lookup of hash `h` begins; changes nothing.
    void prefetch(std::uint64_t h) const { detail::prefetch(&index_[place_of(tag_of(h))]); }

    // Room for `keys` keys in all without growing the index (replay sizes it from the log).
    void reserve(std::size_t keys);

    std::size_t size() const { return size_; }

    // Every key that has an entry of its own, in no particular order (the keys that read from
    // their orders are not listed: a snapshot writes them with their orders).
    template <class Fn>
    void for_each_entry(Fn&& fn) const {
        for (std::size_t i = 0; i < used_; ++i) {
            const slot& s = slot_at(i);
            if (s.live) fn(s.scoped.view(), s.value);
        }
    }

 private:
    // A copy of a key's bytes on the heap, its size first: eight bytes in the slot.
    class key_bytes {
     public:
        key_bytes() = default;
        key_bytes(const key_bytes&) = delete;
        key_bytes& operator=(const key_bytes&) = delete;
        ~key_bytes() { clear(); }

        void assign(std::string_view scoped);
        void clear();
        std::string_view view() const;

     private:
        char* block_ = nullptr;
    };
    struct slot {
        key_entry value;
        key_bytes scoped;
        std::uint64_t hash = 0;
        std::uint32_t generation = 0;  // counts reuses, so a stale age never forgets a new key
        bool live = false;
    };
    static_assert(sizeof(slot) == 72);
    // A cell: `tag`, bits 8 to 39 of the key's hash (the bits that chose the key's home shard,
    // engine::key_home_of reads from bit 40 up, are the same for every key of a shard, so they
    // are left out), which also places the cell; and `ref`, 0 when unused, an order's number
    // shifted left by one with the low bit set, or a slot's number plus one shifted left by one.
    struct index_cell {
        std::uint32_t tag = 0;
        std::uint32_t ref = 0;  // so a zeroed_array's cells start unused
    };
    static_assert(sizeof(index_cell) == 8);
    static std::uint32_t tag_of(std::uint64_t h) { return static_cast<std::uint32_t>(h >> 8); }
    // Where a cell with `tag` starts probing: multiply-shift, any index size up to 2^32.
    std::size_t place_of(std::uint32_t tag) const {
        return static_cast<std::size_t>((std::uint64_t{tag} * index_.size()) >> 32);
    }
    static std::uint32_t slot_ref(std::uint32_t i) { return (i + 1) << 1; }
    static std::uint32_t slot_of(std::uint32_t ref) { return (ref >> 1) - 1; }
    static std::uint32_t order_ref(std::uint32_t order) { return order << 1 | 1; }
    static bool names_an_order(std::uint32_t ref) { return (ref & 1) != 0; }
    static std::uint32_t order_of(std::uint32_t ref) { return ref >> 1; }
    // When a key with an entry is forgotten: the slot, and its generation then.
    struct age {
        std::int64_t created_at_ms;
        std::uint32_t slot;
        std::uint32_t generation;
    };
    static constexpr std::size_t slots_per_chunk = std::size_t{1} << 12;

    const slot& slot_at(std::size_t i) const {
        return chunks_[i / slots_per_chunk][i % slots_per_chunk];
    }
    slot& slot_at(std::size_t i) { return chunks_[i / slots_per_chunk][i % slots_per_chunk]; }
    bool holds(const index_cell& c, std::string_view scoped_key, std::uint64_t h) const;
    std::size_t cell_of(std::string_view scoped_key, std::uint64_t h) const;
    // The cell whose ref is `ref` (it must be there); `tag` is its key's.
    std::size_t cell_with(std::uint32_t tag, std::uint32_t ref) const;
    void rebuild_index(std::size_t cells);
    std::uint32_t new_slot();
    void free_slot(std::uint32_t i);
    void erase_cell(std::size_t cell);

    const order_store& orders_;
    std::vector<std::unique_ptr<slot[]>> chunks_;  // slots never move
    std::vector<std::uint32_t> free_;              // slots to reuse
    std::size_t used_ = 0;                         // slots ever handed out
    std::size_t size_ = 0;                         // live keys, with an entry or an order
    detail::zeroed_array<index_cell> index_;       // linear probing, at most 3/4 full
    std::deque<age> ages_;                         // creation order (one retention for all)
    std::uint32_t orders_walked_ = 0;              // the walk's place in the order store
};

}  // namespace fg::matching
