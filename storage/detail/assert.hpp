#pragma once

// Always-on assertions for broken storage invariants (STYLE: errors, tier 1). They name the
// invariant (S1..Sn in storage/README.md) and abort: going on after a broken log invariant could
// acknowledge an order that is not on disk, which is worse than stopping.

#include <cstdio>
#include <cstdlib>

#define FG_STORAGE_ASSERT(cond, invariant)                                               \
    do {                                                                                 \
        if (!(cond)) [[unlikely]] {                                                      \
            std::fprintf(stderr, "flashgate storage: invariant %s broken: %s (%s:%d)\n", \
                         invariant, #cond, __FILE__, __LINE__);                          \
            std::abort();                                                                \
        }                                                                                \
    } while (0)
