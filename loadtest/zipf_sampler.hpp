#pragma once

// Zipf(s) over ranks 0..n-1 (rank 0 most popular), by binary search in a precomputed CDF: the
// table costs 8 bytes per SKU once at start-up, a draw costs about log2(n) comparisons.

#include <cstdint>
#include <vector>

namespace fg::loadtest {

// Immutable after construction: shared read-only by every client thread.
class zipf_sampler {
 public:
    zipf_sampler(std::uint64_t n, double s);
    // u uniform in [0, 1).
    std::uint64_t sample(double u) const;
    double probability(std::uint64_t rank) const;

 private:
    std::vector<double> cdf_;
};

}  // namespace fg::loadtest
