#pragma once

// The seed of a randomised test: FG_SEED when set (to replay a failure), else a fresh one. It is
// printed either way, so that a failing run can be repeated.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace fg::matching::testing {

inline std::uint64_t seed_from_env(const char* name) {
    const char* fixed = std::getenv("FG_SEED");
    const std::uint64_t seed =
        fixed != nullptr ? std::strtoull(fixed, nullptr, 10) : std::random_device{}();
    std::printf("%s seed: FG_SEED=%llu\n", name, static_cast<unsigned long long>(seed));
    return seed;
}

}  // namespace fg::matching::testing
