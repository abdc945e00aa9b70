#include "matching/detail/string_interner.hpp"

#include <algorithm>
#include <cstring>

#include "matching/assert.hpp"

namespace fg::matching::detail {

bool string_interner::holds(const slot& sl, const hashed_string& s) {
    if (sl.hash != s.hash) return false;
    std::uint32_t length;
    std::memcpy(&length, sl.record, sizeof length);
    return length == s.text.size() &&
           std::memcmp(sl.record + record_header_bytes, s.text.data(), length) == 0;
}

std::size_t string_interner::probe(const hashed_string& s) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = s.hash & mask;; i = (i + 1) & mask) {
        const slot& sl = slots_[i];
        if (sl.record == nullptr || holds(sl, s)) return i;
    }
}

std::uint32_t string_interner::find(const hashed_string& s) const {
    if (slots_.empty()) return absent;
    const slot& sl = slots_[probe(s)];
    if (sl.record == nullptr) return absent;
    std::uint32_t number;
    std::memcpy(&number, sl.record + sizeof(std::uint32_t), sizeof number);
    return number;
}

std::uint32_t string_interner::intern(const hashed_string& s) {
    // Grow first, so the probe below is into the table the string stays in.
    if ((std::size_t{count_} + 1) * 8 > slots_.size() * 5) grow();
    slot& sl = slots_[probe(s)];
    if (sl.record != nullptr) {
        std::uint32_t number;
        std::memcpy(&number, sl.record + sizeof(std::uint32_t), sizeof number);
        return number;
    }
    FG_ASSERT(count_ < absent - 1, "interner numbers fit in 32 bits");
    sl.hash = s.hash;
    sl.record = store(s.text, count_);
    return count_++;
}

const char* string_interner::store(std::string_view text, std::uint32_t number) {
    FG_ASSERT(text.size() <= UINT32_MAX, "interned strings are shorter than 4 GiB");
    const std::size_t need = record_header_bytes + text.size();
    if (need > chunk_left_) {
        // A record never spans chunks; a string longer than a chunk gets a chunk of its own.
        const std::size_t size = std::max(chunk_bytes, need);
        chunks_.push_back(std::make_unique_for_overwrite<char[]>(size));
        chunk_free_ = chunks_.back().get();
        chunk_left_ = size;
    }
    char* record = chunk_free_;
    const auto length = static_cast<std::uint32_t>(text.size());
    std::memcpy(record, &length, sizeof length);
    std::memcpy(record + sizeof length, &number, sizeof number);
    if (!text.empty()) std::memcpy(record + record_header_bytes, text.data(), text.size());
    chunk_free_ += need;
    chunk_left_ -= need;
    return record;
}

void string_interner::grow() {
    std::vector<slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, slot{});
    const std::size_t mask = slots_.size() - 1;
    for (const slot& sl : old) {
        if (sl.record == nullptr) continue;
        std::size_t i = sl.hash & mask;
        while (slots_[i].record != nullptr) i = (i + 1) & mask;
        slots_[i] = sl;
    }
}

}  // namespace fg::matching::detail
