#pragma once

// The allocator of the flat tables' slot arrays. An array of 2 MiB or more is placed on 2 MiB
// boundaries and marked for transparent huge pages: a table of millions of slots is read at
// random, so 4 KiB pages would make nearly every lookup a TLB miss too, and filling it at
// start-up (replay) would take one page fault per 4 KiB. Smaller arrays use plain new.

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace fg::matching::detail {

inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

template <class T>
struct table_allocator {
    using value_type = T;

    table_allocator() = default;
    template <class U>
    table_allocator(const table_allocator<U>&) {}

    T* allocate(std::size_t n) {
        const std::size_t bytes = n * sizeof(T);
        if (bytes < huge_page_bytes) return static_cast<T*>(::operator new(bytes));
        const std::size_t rounded =
            (bytes + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
        void* p = std::aligned_alloc(huge_page_bytes, rounded);
        if (p == nullptr) throw std::bad_alloc();
        // Advice only: where the kernel has no huge pages to give, the table still works.
        (void)::madvise(p, rounded, MADV_HUGEPAGE);
        return static_cast<T*>(p);
    }
    void deallocate(T* p, std::size_t n) {
        if (n * sizeof(T) < huge_page_bytes) {
            ::operator delete(p);
        } else {
            std::free(p);
        }
    }
    friend bool operator==(const table_allocator&, const table_allocator&) { return true; }
};

}  // namespace fg::matching::detail
