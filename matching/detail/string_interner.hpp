#pragma once

// Gives each distinct string a dense number (0, 1, 2, ... in the order first seen), with one flat
// open-addressing table: no allocation per string. A string of up to 16 bytes is kept inside its
// 32-byte slot, so looking it up costs one hash and usually one cache line; a longer one is
// copied into an append-only arena and costs one more. A hit is decided by comparing the bytes,
// never by the hash alone.

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "matching/detail/byte_hash.hpp"
#include "matching/detail/prefetch.hpp"
#include "matching/detail/zeroed_array.hpp"

namespace fg::matching::detail {

// A string with its hash, computed once and used for every table it is looked up in.
struct hashed_string {
    std::string_view text;
    std::uint64_t hash = 0;

    explicit hashed_string(std::string_view s) : text(s), hash(hash_bytes(s)) {}
};

// Owned by one object and touched by its owner's thread only. Strings are never removed, so a
// number stays valid for the interner's lifetime.
class string_interner {
 public:
    static constexpr std::uint32_t absent = UINT32_MAX;

    // The string's number, or `absent` if it was never interned.
    std::uint32_t find(const hashed_string& s) const;
    // The string's number, interning it (with the next number) if it is new.
    std::uint32_t intern(const hashed_string& s);
    std::uint32_t size() const { return count_; }
    // Starts loading the slot where a lookup of `s` begins; changes nothing.
    void prefetch(const hashed_string& s) const {
        if (!slots_.empty()) detail::prefetch(&slots_[s.hash & (slots_.size() - 1)]);
    }

 private:
    static constexpr std::size_t inline_chars_max = 16;
    // A free slot is all zero bytes (zeroed_array): `number` holds the string's number plus
    // one, so `absent` wraps to 0.
    struct slot {
        std::uint64_t hash;
        std::uint32_t number_plus_1;
        std::uint32_t length;
        // The bytes when length <= inline_chars_max, else a `const char*` to them in the arena.
        char text[inline_chars_max];
    };
    static_assert(sizeof(slot) == 32);
    static constexpr std::size_t chunk_bytes = 64 * 1024;

    // The slot holding `s`, or the free slot where it would go.
    std::size_t probe(const hashed_string& s) const;
    static bool holds(const slot& sl, const hashed_string& s);
    void store(slot& sl, std::string_view text);
    void grow();

    zeroed_array<slot> slots_;  // power-of-two size, linear probing, at most 5/8 full
    std::uint32_t count_ = 0;
    std::vector<std::unique_ptr<char[]>> chunks_;  // bytes of the strings longer than inline
    char* chunk_free_ = nullptr;
    std::size_t chunk_left_ = 0;
};

}  // namespace fg::matching::detail
