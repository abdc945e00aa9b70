#pragma once

// Gives each distinct string a dense number (0, 1, 2, ... in the order first seen), with one flat
// open-addressing table and the bytes in an append-only arena: no allocation per string, and a
// lookup costs one hash and usually two cache lines (the slot, then the bytes it points to).
// A hit is decided by comparing the bytes, never by the hash alone.

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "matching/detail/byte_hash.hpp"

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

 private:
    // `record` points into the arena at [u32 length][u32 number][bytes]; null marks a free slot.
    struct slot {
        std::uint64_t hash = 0;
        const char* record = nullptr;
    };
    static constexpr std::size_t record_header_bytes = 8;
    static constexpr std::size_t chunk_bytes = 64 * 1024;

    // The slot holding `s`, or the free slot where it would go.
    std::size_t probe(const hashed_string& s) const;
    static bool holds(const slot& sl, const hashed_string& s);
    const char* store(std::string_view text, std::uint32_t number);
    void grow();

    std::vector<slot> slots_;  // power-of-two size, linear probing, at most 5/8 full
    std::uint32_t count_ = 0;
    std::vector<std::unique_ptr<char[]>> chunks_;
    char* chunk_free_ = nullptr;
    std::size_t chunk_left_ = 0;
};

}  // namespace fg::matching::detail
