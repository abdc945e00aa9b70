#pragma once

// Starts loading the cache line holding `p` and changes nothing else; any address is fine, a
// prefetch never faults. Replay reads records ahead and calls this for the table cells they will
// touch (engine::apply_batch). On x86-64 it is an asm statement: GCC 12 silently drops some
// __builtin_prefetch calls (one behind a test of the table's size, one inlined where nothing
// else uses the address), and a dropped prefetch only shows as lost speed.

namespace fg::matching::detail {

inline void prefetch(const void* p) {
#if defined(__x86_64__)
    asm volatile("prefetcht0 (%0)" : : "r"(p));
#else
    __builtin_prefetch(p);
#endif
}

}  // namespace fg::matching::detail
