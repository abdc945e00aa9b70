#pragma once

// Fixed-width integers at a byte address, in host order (little-endian: record_frame.hpp
// asserts it), for the headers of segment and snapshot files.

#include <cstddef>
#include <cstring>

namespace fg::storage::detail {

template <class T>
void store_le(std::byte* p, T v) {
    std::memcpy(p, &v, sizeof v);
}

template <class T>
T load_le(const std::byte* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

}  // namespace fg::storage::detail
