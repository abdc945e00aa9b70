#pragma once

// The slot array of a flat table: a fixed number of trivially copyable slots whose bytes all
// start as zero, and whose tables read an all-zero slot as free. Nothing writes the zeros: the
// memory comes from the kernel already cleared, page by page as it is first touched. So sizing
// a table for a replay of millions of keys costs no time up front, and the pages are cleared
// by whichever thread fills them, in parallel with the others, not by the one that sized it.
//
// An array of 2 MiB or more is mapped on 2 MiB boundaries and marked for transparent huge
// pages: a table of millions of slots is read at random, so 4 KiB pages would make nearly
// every lookup a TLB miss too, and filling it would take one page fault per 4 KiB. A smaller
// one comes from calloc.

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>

namespace fg::matching::detail {

inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

template <class T>
class zeroed_array {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>,
                  "slots are bytes: zero is their free state, and nothing runs on them");

 public:
    zeroed_array() = default;
    explicit zeroed_array(std::size_t n) : data_(allocate(n)), size_(n) {}
    zeroed_array(zeroed_array&& o) noexcept
        : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    zeroed_array& operator=(zeroed_array&& o) noexcept {
        std::swap(data_, o.data_);
        std::swap(size_, o.size_);
        return *this;
    }
    ~zeroed_array() { release(data_, size_); }

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    T& operator[](std::size_t i) { return data_[i]; }
    const T& operator[](std::size_t i) const { return data_[i]; }
    T* begin() { return data_; }
    T* end() { return data_ + size_; }
    const T* begin() const { return data_; }
    const T* end() const { return data_ + size_; }

 private:
    static std::size_t mapped_bytes(std::size_t n) {
        return (n * sizeof(T) + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
    }
    static bool mapped(std::size_t n) { return n * sizeof(T) >= huge_page_bytes; }

    static T* allocate(std::size_t n) {
        if (n == 0) return nullptr;
        if (!mapped(n)) {
            void* p = std::calloc(n, sizeof(T));
            if (p == nullptr) throw std::bad_alloc();
            return static_cast<T*>(p);
        }
        // Map one huge page more than needed, then give back what lies before the first
        // boundary and after the array.
        const std::size_t bytes = mapped_bytes(n);
        void* p = ::mmap(nullptr, bytes + huge_page_bytes, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        const auto at = reinterpret_cast<std::uintptr_t>(p);
        const std::uintptr_t start = (at + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
        if (start != at) ::munmap(p, start - at);
        if (const std::size_t tail = huge_page_bytes - (start - at); tail != 0) {
            ::munmap(reinterpret_cast<void*>(start + bytes), tail);
        }
        // Advice only: where the kernel has no huge pages to give, the table still works.
        (void)::madvise(reinterpret_cast<void*>(start), bytes, MADV_HUGEPAGE);
        return reinterpret_cast<T*>(start);
    }
    static void release(T* p, std::size_t n) {
        if (p == nullptr) return;
        if (mapped(n)) {
            ::munmap(p, mapped_bytes(n));
        } else {
            std::free(p);
        }
    }

    T* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace fg::matching::detail
