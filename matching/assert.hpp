#pragma once

// Always-on assertions for broken invariants (STYLE: errors, tier 1). They name the invariant
// (see matching/README.md and ARCHITECTURE.md) and abort: a broken invariant is a bug, and
// going on would risk overselling or acknowledging what is not durable.

#include <cstdio>
#include <cstdlib>

#define FG_ASSERT(cond, invariant)                                                                 \
    do {                                                                                           \
        if (!(cond)) [[unlikely]] {                                                                \
            std::fprintf(stderr, "flashgate: invariant %s broken: %s (%s:%d)\n", invariant, #cond, \
                         __FILE__, __LINE__);                                                      \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)
