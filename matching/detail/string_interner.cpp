#include "matching/detail/string_interner.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "matching/assert.hpp"

namespace fg::matching::detail {

bool string_interner::holds(const slot& sl, const hashed_string& s) {
    if (sl.hash != s.hash || sl.length != s.text.size()) return false;
    const char* bytes = sl.text;
    if (sl.length > inline_chars_max) std::memcpy(&bytes, sl.text, sizeof bytes);
    return std::memcmp(bytes, s.text.data(), sl.length) == 0;
}

std::size_t string_interner::probe(const hashed_string& s) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = s.hash & mask;; i = (i + 1) & mask) {
        const slot& sl = slots_[i];
        if (sl.number_plus_1 == 0 || holds(sl, s)) return i;
    }
}

std::uint32_t string_interner::find(const hashed_string& s) const {
    return slots_.empty() ? absent : slots_[probe(s)].number_plus_1 - 1;
}

std::uint32_t string_interner::intern(const hashed_string& s) {
    // Grow first, so the probe below is into the table the string stays in.
    if ((std::size_t{count_} + 1) * 8 > slots_.size() * 5) grow();
    slot& sl = slots_[probe(s)];
    if (sl.number_plus_1 != 0) return sl.number_plus_1 - 1;
    FG_ASSERT(count_ < absent, "interner numbers fit in 32 bits");
    FG_ASSERT(s.text.size() <= UINT32_MAX, "interned strings are shorter than 4 GiB");
    sl.hash = s.hash;
    sl.length = static_cast<std::uint32_t>(s.text.size());
    store(sl, s.text);
    sl.number_plus_1 = count_ + 1;
    return count_++;
}

void string_interner::store(slot& sl, std::string_view text) {
    if (text.size() <= inline_chars_max) {
        if (!text.empty()) std::memcpy(sl.text, text.data(), text.size());
        return;
    }
    if (text.size() > chunk_left_) {
        // A string never spans chunks; one longer than a chunk gets a chunk of its own.
        const std::size_t size = std::max(chunk_bytes, text.size());
        chunks_.push_back(std::make_unique_for_overwrite<char[]>(size));
        chunk_free_ = chunks_.back().get();
        chunk_left_ = size;
    }
    const char* bytes = chunk_free_;
    std::memcpy(chunk_free_, text.data(), text.size());
    std::memcpy(sl.text, &bytes, sizeof bytes);
    chunk_free_ += text.size();
    chunk_left_ -= text.size();
}

void string_interner::grow() {
    zeroed_array<slot> old =
        std::exchange(slots_, zeroed_array<slot>(slots_.empty() ? 16 : slots_.size() * 2));
    const std::size_t mask = slots_.size() - 1;
    for (const slot& sl : old) {
        if (sl.number_plus_1 == 0) continue;
        std::size_t i = sl.hash & mask;
        while (slots_[i].number_plus_1 != 0) i = (i + 1) & mask;
        slots_[i] = sl;
    }
}

}  // namespace fg::matching::detail
